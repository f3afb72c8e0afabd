/**
 * bitcoinjs-lib needs an ECC library for Taproot (tweaks, x-only keys); tiny-secp256k1 is
 * libsecp256k1 compiled to WebAssembly, the one bitcoinjs-lib tests against. Every settlement
 * module that builds Taproot payments imports this first.
 */
import { initEccLib } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';

initEccLib(ecc);

export { ecc };
