-- AlterTable
ALTER TABLE "Batch" ADD COLUMN "executionMs" INTEGER;
ALTER TABLE "Batch" ADD COLUMN "sequentialEstimateMs" INTEGER;

-- AlterTable
ALTER TABLE "Settlement" ADD COLUMN "broadcastAt" DATETIME;
ALTER TABLE "Settlement" ADD COLUMN "confirmedAt" DATETIME;
ALTER TABLE "Settlement" ADD COLUMN "resolvedAt" DATETIME;

-- AlterTable
ALTER TABLE "SigningSession" ADD COLUMN "reports" TEXT;

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN "address" TEXT;
ALTER TABLE "ApiKey" ADD COLUMN "expiresAt" DATETIME;

-- CreateTable
CREATE TABLE "SiweNonce" (
    "nonce" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "SiweNonce_expiresAt_idx" ON "SiweNonce"("expiresAt");

