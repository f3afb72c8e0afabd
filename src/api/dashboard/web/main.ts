/**
 * The treasurers' dashboard. It signs in with Sign-In with Ethereum, then reads the REST routes
 * every two seconds and shows what is pending, the history, the custody and two charts. An
 * approval or a rejection is the treasurer's EIP-712 signature, made in the browser (an injected
 * wallet, or the page's development key) over the typed data the page shows first.
 */
import { html, nothing, render } from 'lit-html';
import { Api, ApiProblem, idempotencyKey } from './api.ts';
import { mountCharts, updateCharts } from './charts.ts';
import { coinOf, ethAddress } from './format.ts';
import { forgetSession, type SignInInfo, signIn, storedSession } from './session.ts';
import { emptyState, type State } from './state.ts';
import './style.css';
import type {
  Batch,
  Custody,
  DecodedTransaction,
  Page,
  Pending,
  Settlement,
  SignerStatus,
} from './types.ts';
import { custodyView } from './views/custody.ts';
import { historyView } from './views/history.ts';
import { pendingView } from './views/pending.ts';
import { developmentWallet, injectedProvider, injectedWallet, type Wallet } from './wallet.ts';

const POLL_MS = 2000;
const api = new Api();
const state: State = emptyState();
const app = document.getElementById('app') as HTMLElement;
const chartsRoot = document.createElement('div');

function draw(): void {
  render(page(), app);
}

function page() {
  const coin = coinOf(state.info?.network ?? 'bitcoin');
  return html`<header class="top">
      <h1>Rollup custody <span class="sub">treasurer dashboard</span></h1>
      ${sessionBar()}
    </header>
    ${warnings()}
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}
    ${state.notice ? html`<p class="notice" role="status">${state.notice}</p>` : nothing}
    ${
      state.session === undefined
        ? nothing
        : html`<nav class="tabs">
              <a href="#pending">Pending</a><a href="#history">History</a><a href="#custody">Custody</a><a href="#charts">Charts</a>
            </nav>
            ${pendingView(state, coin, pendingActions)} ${historyView(state, coin, historyActions)}
            ${custodyView(state, coin)}
            <p class="updated">Updated ${state.updatedAt?.toLocaleTimeString() ?? '—'}</p>`
    }`;
}

function sessionBar() {
  const s = state.session;
  if (s !== undefined) {
    return html`<div class="session">
      Signed in as <code class="me">${ethAddress(s.address)}</code>
      ${s.wallet === 'development' ? html`<span class="dev">development key</span>` : html`<span>wallet</span>`}
      <button class="sign-out" @click=${signOut}>Sign out</button>
    </div>`;
  }
  const offerDevKey = state.info !== undefined && state.info.network !== 'bitcoin';
  return html`<div class="session">
    ${
      injectedProvider()
        ? html`<button class="sign-in-wallet" ?disabled=${state.busy} @click=${() => start('injected')}>
            Sign in with your wallet
          </button>`
        : html`<span>No browser wallet found.</span>`
    }
    ${
      offerDevKey
        ? html`<button class="sign-in-dev" ?disabled=${state.busy} @click=${() => start('development')}>
            Sign in with the development key
          </button>`
        : nothing
    }
  </div>`;
}

function warnings() {
  const w = [];
  if (state.info?.development) {
    w.push(html`<p class="warning dev-mode" role="alert">
      Development mode: no treasurers are configured (TREASURERS), so any one address approves
      alone (quorum 1). Do not use this with real funds.
    </p>`);
  }
  if (state.session?.wallet === 'development') {
    w.push(html`<p class="warning dev-key">
      Signing with the page's development key <code>${ethAddress(state.session.address)}</code>, kept in this
      browser. It is not a wallet: use it for development only.
    </p>`);
  }
  return w;
}

async function start(kind: 'injected' | 'development'): Promise<void> {
  await act(async () => {
    const provider = injectedProvider();
    const wallet =
      kind === 'injected' && provider ? await injectedWallet(provider) : developmentWallet();
    state.session = await signIn(api, wallet);
    state.wallet = wallet;
    api.token = state.session.token;
    await refresh();
  });
}

async function signOut(): Promise<void> {
  await act(async () => {
    await api.delete('/v1/session').catch(() => undefined);
    endSession();
  });
}

function endSession(): void {
  forgetSession();
  api.token = undefined;
  state.session = undefined;
  state.wallet = undefined;
  state.review = undefined;
  state.pending = [];
}

/** The wallet behind a session restored from this tab's storage. */
async function walletFor(kind: 'injected' | 'development'): Promise<Wallet> {
  if (state.wallet !== undefined) return state.wallet;
  const provider = injectedProvider();
  state.wallet =
    kind === 'injected' && provider ? await injectedWallet(provider) : developmentWallet();
  return state.wallet;
}

const pendingActions = {
  review(settlementId: string, decision: 'approve' | 'reject') {
    state.review = { settlementId, decision, reason: '' };
    state.notice = undefined;
    draw();
  },
  setReason(reason: string) {
    if (state.review) state.review.reason = reason;
    draw();
  },
  cancel() {
    state.review = undefined;
    draw();
  },
  confirm() {
    void act(decide);
  },
};

const historyActions = {
  openTransaction(settlementId: string) {
    if (state.decoded.has(settlementId)) return;
    api
      .get<DecodedTransaction>(`/v1/settlements/${settlementId}/transaction`)
      .then(
        (d) => state.decoded.set(settlementId, d),
        (error: Error) => state.decoded.set(settlementId, `Not decoded: ${error.message}`),
      )
      .finally(draw);
  },
};

/** Signs exactly the typed data shown, and records the decision. */
async function decide(): Promise<void> {
  const review = state.review;
  const session = state.session;
  if (review === undefined || session === undefined) return;
  const p = state.pending.find((x) => x.settlementId === review.settlementId);
  const typed = p?.typedData[review.decision];
  if (p === undefined || typed == null) throw new Error('this settlement is no longer pending');
  const wallet = await walletFor(session.wallet);
  if (wallet.address.toLowerCase() !== session.address.toLowerCase()) {
    throw new Error(
      `the wallet's account is ${wallet.address}, not the signed-in ${session.address}`,
    );
  }
  const signature = await wallet.signTypedData(typed);
  await api.post(
    `/v1/settlements/${p.settlementId}/approvals`,
    {
      decision: review.decision,
      address: session.address,
      signature,
      ...(review.decision === 'reject' ? { reason: review.reason.trim() } : {}),
    },
    idempotencyKey(),
  );
  state.review = undefined;
  state.notice = `You ${review.decision === 'approve' ? 'approved' : 'rejected'} ${p.settlementId}.`;
  await refresh();
}

async function act(fn: () => Promise<void>): Promise<void> {
  state.busy = true;
  state.error = undefined;
  draw();
  try {
    await fn();
  } catch (error) {
    state.error =
      error instanceof ApiProblem ? error.message : String((error as Error).message ?? error);
  } finally {
    state.busy = false;
    draw();
  }
}

async function refresh(): Promise<void> {
  if (state.session === undefined) return;
  const [pending, settlements, batches] = await Promise.all([
    api.get<{ items: Pending[] }>('/v1/approvals'),
    api.get<Page<Settlement>>('/v1/settlements?limit=50'),
    api.get<Page<Batch>>('/v1/batches?limit=100'),
  ]);
  state.pending = pending.items;
  state.history = settlements.items;
  state.batchList = batches.items;
  for (const b of batches.items) state.batches.set(b.id, b);
  for (const s of settlements.items) state.settlements.set(s.id, s);
  await readMissing(pending.items);
  try {
    state.signers = (await api.get<{ items: SignerStatus[] }>('/v1/signers')).items;
  } catch {
    state.signers = [];
  }
  try {
    state.custody = await api.get<Custody>('/v1/custody');
    state.custodyError = undefined;
  } catch (error) {
    state.custodyError = `Custody not readable now: ${(error as Error).message}`;
  }
  state.updatedAt = new Date();
  updateCharts(state);
}

/** Pending settlements (and their batches) older than the pages read above. */
async function readMissing(pending: Pending[]): Promise<void> {
  for (const p of pending) {
    if (!state.settlements.has(p.settlementId)) {
      state.settlements.set(p.settlementId, await api.get(`/v1/settlements/${p.settlementId}`));
    }
    for (const id of state.settlements.get(p.settlementId)?.batchIds ?? []) {
      if (!state.batches.has(id)) state.batches.set(id, await api.get(`/v1/batches/${id}`));
    }
  }
}

async function poll(): Promise<void> {
  try {
    await refresh();
    if (state.error?.startsWith('Refresh')) state.error = undefined;
  } catch (error) {
    if (state.session !== undefined) state.error = `Refresh failed: ${(error as Error).message}`;
  }
  draw();
  setTimeout(poll, POLL_MS);
}

async function boot(): Promise<void> {
  api.onUnauthorized = () => {
    endSession();
    state.error = 'Your session ended: sign in again.';
  };
  document.body.appendChild(chartsRoot);
  state.info = await api.get<SignInInfo>('/auth/siwe');
  const restored = storedSession();
  if (restored !== undefined) {
    state.session = restored;
    api.token = restored.token;
  } else if (state.info.development && !injectedProvider()) {
    // Development with no wallet: the page's own key signs in, without a click.
    await start('development');
  }
  draw();
  mountCharts(chartsRoot);
  await poll();
}

boot().catch((error: unknown) => {
  state.error = `The dashboard could not start: ${(error as Error).message}`;
  draw();
});
