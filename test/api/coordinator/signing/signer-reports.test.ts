/** What each signer answered in a session, as the settlement view and the dashboard show it. */
import { describe, expect, it } from 'vitest';
import { signerReports } from '../../../../src/api/coordinator/signing/session-record.ts';

describe('signerReports', () => {
  it('names who signed, who refused with its reason, and who was not needed', () => {
    expect(
      signerReports({
        signers: ['s1', 's2', 's3'],
        signedBy: ['s1', 's3'],
        culprits: new Set(),
        reasons: new Map([['s2', 'refused: approvals: 1 of the 2 treasurer approvals']]),
      }),
    ).toEqual([
      { signer: 's1', outcome: 'signed', detail: null },
      {
        signer: 's2',
        outcome: 'did-not-sign',
        detail: 'refused: approvals: 1 of the 2 treasurer approvals',
      },
      { signer: 's3', outcome: 'signed', detail: null },
    ]);
  });

  it('shows a culprit as a bad share even when its answer was counted once', () => {
    const reports = signerReports({
      signers: ['s1', 's2'],
      signedBy: ['s1', 's2'],
      culprits: new Set(['s2']),
      reasons: new Map(),
    });
    expect(reports[1]).toEqual({
      signer: 's2',
      outcome: 'bad-share',
      detail: 'its answer did not verify',
    });
  });

  it('lists a signer that was not asked as not needed, not as signed', () => {
    expect(
      signerReports({
        signers: ['s1', 's2', 's3'],
        signedBy: ['s1', 's2'],
        culprits: new Set(),
        reasons: new Map(),
      })[2],
    ).toEqual({ signer: 's3', outcome: 'not-asked', detail: null });
  });
});
