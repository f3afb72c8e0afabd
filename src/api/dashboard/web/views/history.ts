/** Settlements and batches that went through the pipeline, newest first. */
import { html, nothing, type TemplateResult } from 'lit-html';
import * as f from '../format.ts';
import type { State } from '../state.ts';
import type { Settlement } from '../types.ts';
import { signerReports } from './pending.ts';

export function historyView(state: State, coin: string): TemplateResult {
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
                ${state.history.map((s) => row(state, s, coin))}
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

function row(state: State, s: Settlement, coin: string): TemplateResult {
  const numbers = s.batchIds
    .map((id) => state.batches.get(id)?.number)
    .filter((n) => n !== undefined && n !== null)
    .map((n) => `#${n}`)
    .join(', ');
  return html`<tr data-settlement=${s.id}>
      <td><code>${s.id}</code></td>
      <td>
        <span class="status status-${s.status}">${s.status}</span>
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
              <details class="tx">
                <summary>Transaction <code>${f.short(s.txid)}</code>: raw hex · decoded</summary>
                ${txDetails(s, coin)}
              </details>
            </td>
          </tr>`
    }`;
}

function txDetails(s: Settlement, coin: string): TemplateResult {
  return html`<h5>Raw transaction (hex)</h5>
    <pre class="raw-tx">${s.rawTx ?? '—'}</pre>
    <h5>Decoded</h5>
    <dl class="facts decoded">
      <dt>txid</dt>
      <dd><code>${s.txid}</code></dd>
      <dt>Inputs</dt>
      <dd>${s.inputs.map((i) => html`<div><code>${i.txid}:${i.vout}</code> ${f.sats(i.valueSats, coin)}</div>`)}</dd>
      <dt>Output 0 (change)</dt>
      <dd>${s.change ? html`<code>${s.change.address ?? s.change.scriptPubKey}</code> ${f.sats(s.change.valueSats, coin)}` : '—'}</dd>
      <dt>Output 1 (commitment)</dt>
      <dd><code>OP_RETURN ${s.commitment ?? ''}</code></dd>
      <dt>Withdrawals</dt>
      <dd>${s.payouts.map((p) => html`<div><code>${p.address ?? p.scriptPubKey}</code> ${f.sats(p.valueSats, coin)}</div>`)}</dd>
      <dt>Block</dt>
      <dd>${s.blockHeight === null ? 'not mined' : html`height ${s.blockHeight}, <code>${f.short(s.blockHash)}</code>`}</dd>
    </dl>
    ${signerReports(s)}`;
}
