/** The custody: its address and descriptor, outputs, balance against the bridge's liabilities. */
import { html, nothing, type TemplateResult } from 'lit-html';
import * as f from '../format.ts';
import type { State } from '../state.ts';

export function custodyView(state: State, coin: string): TemplateResult {
  const c = state.custody;
  const held = state.history.filter((s) => s.status === 'held');
  return html`<section id="custody">
    <h2>Custody</h2>
    ${state.custodyError ? html`<p class="warning">${state.custodyError}</p>` : nothing}
    ${
      c === undefined
        ? html`<p class="empty">Reading the custody…</p>`
        : html`<dl class="facts">
              <dt>Scheme</dt>
              <dd>${c.scheme}, ${c.threshold} of ${f.count(c.signers.length, 'signers')} (${c.signers.join(', ')})</dd>
              <dt>Address</dt>
              <dd><code class="custody-address">${c.address}</code></dd>
              <dt>Descriptor</dt>
              <dd><code class="descriptor">${c.descriptor}</code></dd>
              <dt>Balance</dt>
              <dd class="balance">${f.sats(c.balanceSats, coin)}</dd>
              <dt>Liabilities (unpaid withdrawals)</dt>
              <dd>
                ${f.sats(c.reserves.liabilitiesSats ?? null, coin)} in
                ${f.count(c.reserves.pendingWithdrawals ?? 0, 'withdrawals')}
              </dd>
              <dt>Reserves</dt>
              <dd class=${c.reserves.covered ? 'covered' : 'warning'}>
                ${c.reserves.covered ? 'covered' : 'UNDER-RESERVED'}: surplus
                ${f.sats(c.reserves.surplusSats ?? null, coin)}
              </dd>
            </dl>
            <h3>Outputs (${f.count(c.utxos.length, 'UTXOs')})</h3>
            <div class="scroll">
              <table class="utxos">
                <thead><tr><th>Outpoint</th><th>Value</th><th>Confirmations</th></tr></thead>
                <tbody>
                  ${c.utxos.map(
                    (u) => html`<tr>
                      <td><code>${f.short(u.txid)}:${u.vout}</code></td>
                      <td class="num">${f.sats(u.valueSats, coin)}</td>
                      <td>${f.count(u.confirmations, 'confirmations')}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
    }
    <h3>Signers</h3>
    <div class="scroll">
      <table class="signer-status">
        <thead><tr><th>Signer</th><th>Reachable</th><th>Holds the key</th><th>Its own rollup</th></tr></thead>
        <tbody>
          ${state.signers.map(
            (g) => html`<tr>
              <td>${g.name}</td>
              <td>${g.reachable ? 'yes' : html`<span class="warning">no: ${g.error ?? ''}</span>`}</td>
              <td>${g.holdsKey ? 'yes' : 'no'}</td>
              <td>${g.rollupBatchNumber === null ? '—' : html`batch #${g.rollupBatchNumber}, <code>${f.short(g.rollupStateRoot)}</code>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <h3>Held settlements</h3>
    ${
      held.length === 0
        ? html`<p class="empty">None.</p>`
        : html`<ul class="held">
            ${held.map((s) => html`<li><code>${s.id}</code>: ${s.reason ?? 'no reason recorded'}</li>`)}
          </ul>`
    }
  </section>`;
}
