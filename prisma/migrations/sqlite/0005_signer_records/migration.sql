-- CreateTable
CREATE TABLE "SignerBatch" (
    "number" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "status" TEXT NOT NULL,
    "preStateRoot" TEXT NOT NULL,
    "env" TEXT NOT NULL,
    "txs" TEXT NOT NULL,
    "stateRoot" TEXT,
    "withdrawals" TEXT,
    "checkedBy" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerCustodyOutput" (
    "outpoint" TEXT NOT NULL PRIMARY KEY,
    "valueSats" BIGINT NOT NULL,
    "source" TEXT NOT NULL,
    "settlementTxid" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerCustody" (
    "keyId" TEXT NOT NULL PRIMARY KEY,
    "definition" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerBinding" (
    "outpoint" TEXT NOT NULL PRIMARY KEY,
    "settlementTxid" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerSettlement" (
    "txid" TEXT NOT NULL PRIMARY KEY,
    "originalTxid" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "feeSats" BIGINT NOT NULL,
    "batchNumber" INTEGER NOT NULL,
    "nextWithdrawalIndex" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "SignerSettlement_originalTxid_idx" ON "SignerSettlement"("originalTxid");

