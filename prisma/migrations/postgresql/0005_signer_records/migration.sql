-- CreateTable
CREATE TABLE "SignerBatch" (
    "number" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "preStateRoot" TEXT NOT NULL,
    "env" TEXT NOT NULL,
    "txs" TEXT NOT NULL,
    "stateRoot" TEXT,
    "withdrawals" TEXT,
    "checkedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerBatch_pkey" PRIMARY KEY ("number")
);

-- CreateTable
CREATE TABLE "SignerCustodyOutput" (
    "outpoint" TEXT NOT NULL,
    "valueSats" BIGINT NOT NULL,
    "source" TEXT NOT NULL,
    "settlementTxid" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerCustodyOutput_pkey" PRIMARY KEY ("outpoint")
);

-- CreateTable
CREATE TABLE "SignerCustody" (
    "keyId" TEXT NOT NULL,
    "definition" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerCustody_pkey" PRIMARY KEY ("keyId")
);

-- CreateTable
CREATE TABLE "SignerBinding" (
    "outpoint" TEXT NOT NULL,
    "settlementTxid" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerBinding_pkey" PRIMARY KEY ("outpoint")
);

-- CreateTable
CREATE TABLE "SignerSettlement" (
    "txid" TEXT NOT NULL,
    "originalTxid" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "feeSats" BIGINT NOT NULL,
    "batchNumber" INTEGER NOT NULL,
    "nextWithdrawalIndex" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerSettlement_pkey" PRIMARY KEY ("txid")
);

-- CreateIndex
CREATE INDEX "SignerSettlement_originalTxid_idx" ON "SignerSettlement"("originalTxid");

