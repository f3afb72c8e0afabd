-- AlterTable
ALTER TABLE "Batch" ADD COLUMN     "executionMs" INTEGER,
ADD COLUMN     "sequentialEstimateMs" INTEGER;

-- AlterTable
ALTER TABLE "Settlement" ADD COLUMN     "broadcastAt" TIMESTAMP(3),
ADD COLUMN     "confirmedAt" TIMESTAMP(3),
ADD COLUMN     "resolvedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "SigningSession" ADD COLUMN     "reports" TEXT;

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "address" TEXT,
ADD COLUMN     "expiresAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "SiweNonce" (
    "nonce" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SiweNonce_pkey" PRIMARY KEY ("nonce")
);

-- CreateIndex
CREATE INDEX "SiweNonce_expiresAt_idx" ON "SiweNonce"("expiresAt");

