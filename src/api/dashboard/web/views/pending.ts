/** Settlements waiting for approvals: everything a treasurer approves, and the buttons. */
import { html, nothing, type TemplateResult } from 'lit-html';
import * as f from '../format.ts';
import type { Review, State } from '../state.ts';
import type { Batch, Pending, Settlement, SignerStatus } from '../types.ts';

export interface PendingActions {
  review(settlementId: string, decision: 'approve' | 'reject'): void;
  setReason(reason: string): void;
  confirm(): void;
  cancel(): void;
}

export function pendingView(state: State, coin: string, act: PendingActions): TemplateResult {
  return html`<section id="pending">
    <h2>Pending settlements</h2>
    ${
      state.pending.length === 0
        ? html`<p class="empty">No settlement is waiting for approvals.</p>`
        : state.pending.map((p) => card(state, p, coin, act))
    }
  </section>`;
}

function card(state: State, p: Pending, coin: string, act: PendingActions): TemplateResult {
  const s = state.settlements.get(p.settlementId);
  const batches = (s?.batchIds ?? []).map((id) => state.batches.get(id));
  return html`<article class="card" data-settlement=${p.settlementId}>
    <header>
      <h3>Settlement <code>${p.settlementId}</code></h3>
      <span class="status status-${p.status}">${p.status}</span>
    </header>
    ${batchTable(batches)} ${s === undefined ? nothing : payoutTable(s, coin)}
    ${progress(state, p)} ${signerRollups(state, batches)}
    ${s === undefined ? nothing : signerReports(s)}
    ${decision(state, p, act)}
  </article>`;
}

export function batchTable(batches: (Batch | undefined)[]): TemplateResult {
  return html`<h4>Batches</h4>
    <div class="scroll">
      <table class="batches">
        <thead>
          <tr>
            <th>Number</th>
            <th>State root</th>
            <th>Transactions</th>
            <th>Gas used</th>
            <th>Execution time</th>
            <th>One thread (estimate)</th>
            <th>Speed-up (estimate)</th>
            <th>Withdrawals</th>
          </tr>
        </thead>
        <tbody>
          ${batches.map((b) =>
            b === undefined
              ? html`<tr><td colspan="8">loading…</td></tr>`
              : html`<tr data-batch=${b.id}>
                  <td>#${b.number ?? '—'}</td>
                  <td><code class="root">${b.stateRoot ?? '—'}</code></td>
                  <td>${f.count(b.txCount, 'tx')}</td>
                  <td>${f.gas(b.gasUsed)}</td>
                  <td>${f.ms(b.executionMs)}</td>
                  <td>${f.ms(b.sequentialEstimateMs)}</td>
                  <td>${f.speedUp(b)}</td>
                  <td>${f.count(b.withdrawals.length, 'withdrawals')}</td>
                </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

function payoutTable(s: Settlement, coin: string): TemplateResult {
  return html`<h4>Withdrawals paid (${f.count(s.payouts.length, 'outputs')})</h4>
    <div class="scroll">
      <table class="withdrawals">
        <thead><tr><th>Address</th><th>Amount</th></tr></thead>
        <tbody>
          ${s.payouts.map(
            (p) => html`<tr class="withdrawal">
              <td><code>${p.address ?? p.scriptPubKey}</code></td>
              <td class="num">${f.sats(p.valueSats, coin)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <dl class="facts">
      <dt>Fee</dt>
      <dd>${f.sats(s.feeSats, coin)} at ${f.feeRate(s.feeRate)}</dd>
      <dt>Custody input</dt>
      <dd>
        ${s.inputs.map(
          (i) =>
            html`<div><code>${f.short(i.txid)}:${i.vout}</code> ${f.sats(i.valueSats, coin)}</div>`,
        )}
      </dd>
      <dt>Change (back to custody)</dt>
      <dd>
        ${
          s.change === null
            ? '—'
            : html`<code>${s.change.address ?? s.change.scriptPubKey}</code>
                ${f.sats(s.change.valueSats, coin)}`
        }
      </dd>
      <dt>Commitment</dt>
      <dd><code class="root">${s.commitment ?? '—'}</code></dd>
    </dl>`;
}

function progress(state: State, p: Pending): TemplateResult {
  const t = p.tally;
  const decided = new Set([...t.approvedBy.treasurers, ...t.rejectedBy.map((r) => r.who)]);
  const missing = (state.session?.treasurers ?? []).filter((a) => !decided.has(a));
  return html`<h4>Approvals</h4>
    <p class="progress" data-testid="progress">
      ${t.approvedBy.treasurers.length} of ${t.required.treasurers} treasurer approvals
      ${
        t.required.institutions > 0
          ? html`, ${t.approvedBy.institutions.length} of ${t.required.institutions} institution
              approvals`
          : nothing
      }
      ${t.satisfied ? html`<strong>(quorum reached)</strong>` : nothing}
    </p>
    ${
      t.overLimit.length > 0
        ? html`<p class="warning">A limit needs more approvals: ${t.overLimit.join('; ')}</p>`
        : nothing
    }
    ${t.blocked === null ? nothing : html`<p class="warning">Blocked: ${t.blocked}</p>`}
    <ul class="approvers">
      ${t.approvedBy.treasurers.map((a) => html`<li class="approved"><code>${f.ethAddress(a)}</code> approved</li>`)}
      ${t.approvedBy.institutions.map((a) => html`<li class="approved">${a} (institution) approved</li>`)}
      ${t.rejectedBy.map(
        (r) =>
          html`<li class="rejected"><code>${f.ethAddress(r.who)}</code> rejected: ${r.reason ?? ''}</li>`,
      )}
      ${missing.map((a) => html`<li class="missing"><code>${f.ethAddress(a)}</code> has not decided</li>`)}
    </ul>`;
}

/**
 * Each signer's own rollup against this settlement's newest batch: a signer signs only once it
 * has verified the batch itself (its head reaches it with the same state root).
 */
function signerRollups(state: State, batches: (Batch | undefined)[]): TemplateResult {
  const last = batches.filter((b) => b?.number != null).at(-1);
  if (last === undefined || state.signers.length === 0) return html``;
  return html`<h4>Signers' own rollups</h4>
    <ul class="signer-rollups">
      ${state.signers.map(
        (g) => html`<li class=${rollupClass(g, last)}>
        <strong>${g.name}</strong>: ${rollupText(g, last)}
      </li>`,
      )}
    </ul>`;
}

function rollupClass(g: SignerStatus, b: Batch): string {
  if (!g.reachable || g.rollupBatchNumber === null) return 'report-did-not-sign';
  if (g.rollupBatchNumber === b.number && g.rollupStateRoot !== b.stateRoot) {
    return 'report-bad-share';
  }
  return g.rollupBatchNumber >= (b.number ?? 0) ? 'report-signed' : 'report-not-asked';
}

function rollupText(g: SignerStatus, b: Batch): string {
  if (!g.reachable) return `unreachable (${g.error ?? 'no answer'})`;
  const at = g.rollupBatchNumber ?? 0;
  const n = b.number ?? 0;
  if (at < n) return `has not verified batch #${n} yet (its own rollup is at #${at})`;
  if (at > n) return `verified batch #${n} in its own rollup (now at #${at})`;
  return g.rollupStateRoot === b.stateRoot
    ? `verified batch #${n} in its own rollup: the same state root`
    : `its own rollup has ANOTHER state root at #${n}: ${g.rollupStateRoot}`;
}

export function signerReports(s: Settlement): TemplateResult {
  const sessions = s.signing;
  return html`<h4>Signers</h4>
    ${
      sessions.length === 0
        ? html`<p class="empty">No signer has been asked yet: signers verify and sign after the
            approvals.</p>`
        : html`<ul class="signers">
            ${sessions.flatMap((x) =>
              x.reports.map(
                (r) => html`<li class="report-${r.outcome}">
                  <strong>${r.signer}</strong>: ${reportText(r.outcome)}${r.detail ? ` (${r.detail})` : ''}
                </li>`,
              ),
            )}
          </ul>`
    }`;
}

function reportText(outcome: string): string {
  switch (outcome) {
    case 'signed':
      return 'verified the settlement from its own records and signed';
    case 'did-not-sign':
      return 'did not sign';
    case 'bad-share':
      return 'sent a share that did not verify';
    default:
      return 'not needed for the threshold';
  }
}

function decision(state: State, p: Pending, act: PendingActions): TemplateResult {
  if (state.session === undefined) {
    return html`<p class="hint">Sign in to approve or reject.</p>`;
  }
  const me = state.session.address.toLowerCase();
  const mine = p.approvals.find((a) => a.approver.toLowerCase() === me);
  if (mine !== undefined) {
    const did = mine.decision === 'approve' ? 'approved' : 'rejected';
    return html`<p class="done">You ${did} this settlement.</p>`;
  }
  const review = state.review?.settlementId === p.settlementId ? state.review : undefined;
  if (review === undefined) {
    return html`<div class="actions">
      <button class="approve" ?disabled=${state.busy} @click=${() => act.review(p.settlementId, 'approve')}>
        Approve
      </button>
      <button class="reject" ?disabled=${state.busy} @click=${() => act.review(p.settlementId, 'reject')}>
        Reject…
      </button>
    </div>`;
  }
  return reviewPanel(state, p, review, act);
}

function reviewPanel(state: State, p: Pending, review: Review, act: PendingActions) {
  const typed = p.typedData[review.decision];
  const walletNote =
    state.wallet?.kind === 'development'
      ? html`<span class="dev">the page's development key (not a wallet)</span>`
      : html`your wallet`;
  return html`<div class="review">
    <p>You are about to sign this EIP-712 typed data with ${walletNote}:</p>
    <pre class="typed-data">${JSON.stringify(typed, null, 2)}</pre>
    ${
      review.decision === 'reject'
        ? html`<label>Reason for the rejection
            <textarea class="reason" maxlength="500" .value=${review.reason}
              @input=${(e: Event) => act.setReason((e.target as HTMLTextAreaElement).value)}></textarea>
          </label>`
        : nothing
    }
    <div class="actions">
      <button class="confirm" ?disabled=${state.busy || (review.decision === 'reject' && review.reason.trim() === '')}
        @click=${act.confirm}>
        Sign and ${review.decision}
      </button>
      <button class="cancel" ?disabled=${state.busy} @click=${act.cancel}>Cancel</button>
    </div>
  </div>`;
}
