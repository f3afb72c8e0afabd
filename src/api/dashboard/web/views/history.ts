/** Settlements and batches that went through the pipeline, newest first. */
import { html, nothing, type TemplateResult } from 'lit-html';
import * as f from '../format.ts';
import type { State } from '../state.ts';
import type { DecodedTransaction, Settlement } from '../types.ts';
import { signerReports } from './pending.ts';

export interface HistoryActions {
  /** The settlement's transaction was opened: read it decoded, once. */
  openTransaction(settlementId: string): void;
}

export function historyView(state: State, coin: string, act: HistoryActions): TemplateResult {
  return html`<section id="history">
    <h2>Settlement history</h2>
    ${
      state.history.length === 0
        ? html`<p class="empty">No settlement yet.</p>`
        : html`<div class="scroll">
            <table class="history">
              <thead>
                <tr>
                  <th>Settlement</th>
                  <th>Status</th>
                  <th>Batches</th>
                  <th>Transaction</th>
                  <th>Confirmations</th>
                  <th>Fee</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                ${state.history.map((s) => row(state, s, coin, act))}
              </tbody>
            </table>
          </div>`
    }
    <h2>Batches</h2>
    <div class="scroll">
      <table class="batch-history">
        <thead>
          <tr>
            <th>Number</th>
            <th>Batch</th>
            <th>Status</th>
            <th>Transactions</th>
            <th>Withdrawals</th>
            <th>State root</th>
            <th>Received</th>
          </tr>
        </thead>
        <tbody>
          ${state.batchList.map(
            (b) => html`<tr data-batch=${b.id}>
              <td>${b.number === null ? '—' : `#${b.number}`}</td>
              <td><code>${b.id}</code></td>
              <td><span class="status status-${b.status}">${b.status}</span>${b.reason ? html` <span class="reason">${b.reason}</span>` : nothing}</td>
              <td>${f.count(b.txCount, 'tx')}</td>
              <td>${f.count(b.withdrawals.length, 'withdrawals')}</td>
              <td><code class="root">${f.short(b.stateRoot)}</code></td>
              <td>${f.time(b.createdAt)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

function row(state: State, s: Settlement, coin: string, act: HistoryActions): TemplateResult {
  const numbers = s.batchIds
    .map((id) => state.batches.get(id)?.number)
    .filter((n) => n !== undefined && n !== null)
    .map((n) => `#${n}`)
    .join(', ');
  return html`<tr data-settlement=${s.id}>
      <td><code>${s.id}</code></td>
      <td>
        <span class="status status-${s.status}">${s.status}</span>
        ${s.resolvedAt ? html`<span class="status">resolved</span>` : nothing}
        ${s.reason ? html`<div class="reason">${s.reason}</div>` : nothing}
      </td>
      <td>${numbers || '—'}</td>
      <td>${s.txid === null ? '—' : html`<code>${f.short(s.txid)}</code>`}</td>
      <td>${f.count(s.confirmations, 'confirmations')}</td>
      <td>${f.sats(s.feeSats, coin)}</td>
      <td>${f.time(s.updatedAt)}</td>
    </tr>
    ${
      s.txid === null
        ? nothing
        : html`<tr class="tx-row" data-settlement-tx=${s.id}>
            <td colspan="7">
              <details class="tx" @toggle=${(e: Event) => {
                if ((e.target as HTMLDetailsElement).open) act.openTransaction(s.id);
              }}>
                <summary>Transaction <code>${f.short(s.txid)}</code>: raw hex · decoded</summary>
                ${txDetails(s, state.decoded.get(s.id), coin)}
              </details>
            </td>
          </tr>`
    }`;
}

function txDetails(
  s: Settlement,
  decoded: DecodedTransaction | string | undefined,
  coin: string,
): TemplateResult {
  return html`<h5>Raw transaction (hex)</h5>
    <pre class="raw-tx">${s.rawTx ?? '—'}</pre>
    <h5>Decoded from the raw bytes</h5>
    ${
      decoded === undefined
        ? html`<p class="empty">Decoding…</p>`
        : typeof decoded === 'string'
          ? html`<p class="warning">${decoded}</p>`
          : decodedView(decoded, coin)
    }
    <dl class="facts">
      <dt>Block</dt>
      <dd>${s.blockHeight === null ? 'not mined' : html`height ${s.blockHeight}, <code>${f.short(s.blockHash)}</code>`}</dd>
    </dl>
    ${signerReports(s)}`;
}

function decodedView(d: DecodedTransaction, coin: string): TemplateResult {
  return html`<dl class="facts decoded">
      <dt>txid</dt>
      <dd><code>${d.txid}</code></dd>
      <dt>Version, locktime</dt>
      <dd>${d.version}, ${d.locktime}</dd>
      <dt>Size</dt>
      <dd>${f.count(d.sizeBytes, 'bytes')}, ${f.count(d.vsizeVbytes, 'vbytes')}, ${f.count(d.weightWu, 'weight units')}</dd>
    </dl>
    <div class="scroll">
      <table class="decoded-inputs">
        <thead><tr><th>Input</th><th>Spends</th><th>Sequence</th><th>Witness</th></tr></thead>
        <tbody>
          ${d.inputs.map(
            (i, n) => html`<tr>
              <td>${n}</td>
              <td><code>${i.txid}:${i.vout}</code></td>
              <td><code>0x${i.sequence.toString(16)}</code></td>
              <td>${f.count(i.witnessItems, 'items')}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <div class="scroll">
      <table class="decoded-outputs">
        <thead><tr><th>Output</th><th>Type</th><th>To</th><th>Value</th></tr></thead>
        <tbody>
          ${d.outputs.map(
            (o) => html`<tr>
              <td>${o.n}</td>
              <td>${o.type}</td>
              <td><code>${o.address ?? o.scriptPubKey}</code></td>
              <td class="num">${f.sats(o.valueSats, coin)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}
