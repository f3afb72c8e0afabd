/**
 * The Bitcoin networks a settlement can target: bitcoinjs-lib network objects (address format)
 * joined to the dust profile the bridge also enforces (src/shared/networks.ts), so the builder
 * and the bridge contract agree on what a payable withdrawal is.
 */
import { networks as btcNetworks, type Network } from 'bitcoinjs-lib';
import { InvalidInputError } from '../shared/errors.ts';
import {
  type DustProfile,
  dustProfile,
  isNetworkName,
  NETWORK_NAMES,
  type NetworkName,
} from '../shared/networks.ts';

/**
 * Litecoin Core 0.21 regtest (chainparams.cpp CRegTestParams): bech32_hrp = "rltc",
 * base58Prefixes PUBKEY_ADDRESS = 111, SCRIPT_ADDRESS2 = 58, SECRET_KEY = 239,
 * EXT_PUBLIC_KEY = 0x043587CF, EXT_SECRET_KEY = 0x04358394.
 */
const LITECOIN_REGTEST: Network = {
  messagePrefix: '\x19Litecoin Signed Message:\n',
  bech32: 'rltc',
  bip32: { public: 0x043587cf, private: 0x04358394 },
  pubKeyHash: 0x6f,
  scriptHash: 0x3a,
  wif: 0xef,
};

const BITCOINJS_NETWORKS: Readonly<Record<NetworkName, Network>> = {
  bitcoin: btcNetworks.bitcoin,
  testnet: btcNetworks.testnet,
  // Signet shares testnet's address format (BIP325).
  signet: btcNetworks.testnet,
  regtest: btcNetworks.regtest,
  'litecoin-regtest': LITECOIN_REGTEST,
};

export interface SettlementNetwork {
  name: NetworkName;
  bitcoinjs: Network;
  dust: DustProfile;
  /** Regtest chains confirm on demand: one confirmation by default, six elsewhere (DESIGN.md). */
  defaultConfirmations: number;
}

export function settlementNetwork(name: NetworkName): SettlementNetwork {
  if (!isNetworkName(name)) {
    throw new InvalidInputError(`network: expected one of ${NETWORK_NAMES.join(', ')}`, {
      field: 'network',
    });
  }
  return {
    name,
    bitcoinjs: BITCOINJS_NETWORKS[name],
    dust: dustProfile(name),
    defaultConfirmations: name === 'regtest' || name === 'litecoin-regtest' ? 1 : 6,
  };
}
