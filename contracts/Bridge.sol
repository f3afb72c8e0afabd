// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Withdrawal bridge predeploy (0x4200000000000000000000000000000000000b7c)
/// @notice Burns the sent value into this contract and queues a Bitcoin payout to `scriptPubKey`.
/// The settlement transaction pays queued withdrawals in index order.
/// @dev A predeploy has no constructor run: the genesis alloc writes the storage below directly
/// (src/execution/bridge/alloc.ts). Keep the layout in sync with it; a test compares the
/// compiler's storage layout with the slots the alloc writes.
contract Bridge {
    /// 1 satoshi = 10^10 wei (18 - 8 decimals).
    uint256 private constant WEI_PER_SAT = 1e10;
    /// Bitcoin consensus caps any output at 21,000,000 BTC (MAX_MONEY).
    uint256 private constant MAX_MONEY_SATS = 21_000_000 * 1e8;

    /// Script types in the order of `dustLimitSats` (slots 1..5).
    uint256 private constant P2PKH = 0;
    uint256 private constant P2SH = 1;
    uint256 private constant P2WPKH = 2;
    uint256 private constant P2WSH = 3;
    uint256 private constant P2TR = 4;
    uint256 private constant NON_STANDARD = 5;

    /// slot 0: index the next withdrawal gets; also the number of withdrawals so far.
    uint256 public nextWithdrawalIndex;
    /// slots 1..5: the network's dust threshold per script type, in satoshis.
    uint256[5] public dustLimitSats;

    event Withdrawal(
        uint256 indexed index, address indexed sender, bytes scriptPubKey, uint256 amountSats
    );

    error AmountNotWholeSatoshis(uint256 valueWei);
    error AmountAboveMaxMoney(uint256 amountSats);
    error NonStandardScript();
    error AmountBelowDust(uint256 amountSats, uint256 dustLimitSats);

    /// @param scriptPubKey the Bitcoin output script to pay; one of the five standard templates.
    function withdraw(bytes calldata scriptPubKey) external payable returns (uint256 index) {
        if (msg.value % WEI_PER_SAT != 0) revert AmountNotWholeSatoshis(msg.value);
        uint256 amountSats = msg.value / WEI_PER_SAT;
        if (amountSats > MAX_MONEY_SATS) revert AmountAboveMaxMoney(amountSats);
        uint256 scriptType = classify(scriptPubKey);
        if (scriptType == NON_STANDARD) revert NonStandardScript();
        uint256 dust = dustLimitSats[scriptType];
        if (amountSats < dust) revert AmountBelowDust(amountSats, dust);
        index = nextWithdrawalIndex;
        nextWithdrawalIndex = index + 1;
        emit Withdrawal(index, msg.sender, scriptPubKey, amountSats);
    }

    /// Exact templates, as Bitcoin Core's Solver() recognises them:
    ///   P2PKH  OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG   76 a9 14 {20} 88 ac
    ///   P2SH   OP_HASH160 <20> OP_EQUAL                           a9 14 {20} 87
    ///   P2WPKH OP_0 <20>                                          00 14 {20}
    ///   P2WSH  OP_0 <32>                                          00 20 {32}
    ///   P2TR   OP_1 <32>                                          51 20 {32}
    function classify(bytes calldata s) internal pure returns (uint256) {
        uint256 n = s.length;
        if (n == 25) {
            if (s[0] == 0x76 && s[1] == 0xa9 && s[2] == 0x14 && s[23] == 0x88 && s[24] == 0xac) {
                return P2PKH;
            }
        } else if (n == 23) {
            if (s[0] == 0xa9 && s[1] == 0x14 && s[22] == 0x87) return P2SH;
        } else if (n == 22) {
            if (s[0] == 0x00 && s[1] == 0x14) return P2WPKH;
        } else if (n == 34) {
            if (s[0] == 0x00 && s[1] == 0x20) return P2WSH;
            if (s[0] == 0x51 && s[1] == 0x20) return P2TR;
        }
        return NON_STANDARD;
    }
}
