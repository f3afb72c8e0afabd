/**
 * Who signs in the page: an injected wallet (EIP-1193, `window.ethereum`) when the browser has
 * one, otherwise a development key the page generates and keeps in this browser's storage. The
 * development key is for trying the dashboard without a wallet: it is marked as such wherever
 * it is used, and a treasurer's real key never passes through the page.
 */
import type { Hex, TypedDataDefinition } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';

export type WalletKind = 'injected' | 'development';

export interface Wallet {
  kind: WalletKind;
  address: Hex;
  /** EIP-191 personal_sign of a text message (the Sign-In with Ethereum message). */
  signMessage(message: string): Promise<Hex>;
  /** EIP-712 eth_signTypedData_v4 of typed data as JSON (quantities as decimal strings). */
  signTypedData(typedData: TypedDataJson): Promise<Hex>;
}

export interface TypedDataJson {
  domain: Record<string, unknown>;
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export const DEVELOPMENT_KEY_STORAGE = 'custody.developmentKey';

export function injectedProvider(): Eip1193 | undefined {
  const eth = (window as unknown as { ethereum?: Eip1193 }).ethereum;
  return eth !== undefined && typeof eth.request === 'function' ? eth : undefined;
}

export async function injectedWallet(provider: Eip1193): Promise<Wallet> {
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as Hex[];
  const address = accounts[0];
  if (address === undefined) throw new Error('the wallet shared no account');
  return {
    kind: 'injected',
    address,
    async signMessage(message) {
      const hex = toHex(new TextEncoder().encode(message));
      return (await provider.request({ method: 'personal_sign', params: [hex, address] })) as Hex;
    },
    async signTypedData(typedData) {
      return (await provider.request({
        method: 'eth_signTypedData_v4',
        params: [address, JSON.stringify(typedData)],
      })) as Hex;
    },
  };
}

/** The page's own development key, made on first use and kept in localStorage. */
export function developmentWallet(): Wallet {
  let key = localStorage.getItem(DEVELOPMENT_KEY_STORAGE) as Hex | null;
  if (key === null || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    key = generatePrivateKey();
    localStorage.setItem(DEVELOPMENT_KEY_STORAGE, key);
  }
  const account = privateKeyToAccount(key);
  return {
    kind: 'development',
    address: account.address,
    signMessage: (message) => account.signMessage({ message }),
    // viem takes the JSON form as it is: decimal strings for integers, EIP712Domain listed.
    signTypedData: (typedData) =>
      account.signTypedData(typedData as unknown as TypedDataDefinition),
  };
}

function toHex(bytes: Uint8Array): Hex {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
