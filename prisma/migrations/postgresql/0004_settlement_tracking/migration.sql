-- AlterTable
ALTER TABLE "Settlement" ADD COLUMN     "batchNumber" INTEGER,
ADD COLUMN     "blockHash" TEXT,
ADD COLUMN     "blockHeight" INTEGER,
ADD COLUMN     "broadcastHeight" INTEGER,
ADD COLUMN     "confirmations" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "custodyOutpoint" TEXT,
ADD COLUMN     "exported" TEXT,
ADD COLUMN     "feeRate" TEXT,
ADD COLUMN     "replacedTxids" TEXT,
ADD COLUMN     "weight" INTEGER;

-- CreateIndex
CREATE UNIQUE INDEX "Settlement_custodyOutpoint_key" ON "Settlement"("custodyOutpoint");

