/**
 * Sign-In with Ethereum (EIP-4361): a nonce from the coordinator, a message naming this page's
 * host and the rollup's chain id, signed by the wallet, exchanged for a session token. The
 * token lives in sessionStorage (this tab only) and ends with the session.
 */
import { getAddress } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import type { Api } from './api.ts';
import type { Wallet, WalletKind } from './wallet.ts';

/** GET /auth/siwe: what a sign-in message must say here. */
export interface SignInInfo {
  statement: string;
  chainId: number;
  network: string;
  development: boolean;
}

export interface NonceAnswer extends SignInInfo {
  nonce: string;
}

export interface Session {
  token: string;
  address: string;
  expiresAt: string;
  development: boolean;
  treasurers: string[];
  treasurerQuorum: number;
  institutionQuorum: number;
  wallet: WalletKind;
}

const STORAGE = 'custody.session';
const SESSION_MS = 8 * 60 * 60 * 1000;

export async function signIn(api: Api, wallet: Wallet): Promise<Session> {
  const n = await api.post<NonceAnswer>('/auth/siwe/nonce', {});
  const now = new Date();
  const message = createSiweMessage({
    domain: location.host,
    address: getAddress(wallet.address),
    statement: n.statement,
    uri: location.origin,
    version: '1',
    chainId: n.chainId,
    nonce: n.nonce,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + SESSION_MS),
  });
  const signature = await wallet.signMessage(message);
  const answer = await api.post<Omit<Session, 'wallet'>>('/auth/siwe', { message, signature });
  const session: Session = { ...answer, wallet: wallet.kind };
  sessionStorage.setItem(STORAGE, JSON.stringify(session));
  return session;
}

export function storedSession(): Session | undefined {
  const raw = sessionStorage.getItem(STORAGE);
  if (raw === null) return undefined;
  try {
    const s = JSON.parse(raw) as Session;
    return new Date(s.expiresAt).getTime() > Date.now() ? s : undefined;
  } catch {
    return undefined;
  }
}

export function forgetSession(): void {
  sessionStorage.removeItem(STORAGE);
}
