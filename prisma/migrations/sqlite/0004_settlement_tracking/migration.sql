-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Settlement" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "inputs" TEXT,
    "psbt" TEXT,
    "rawTx" TEXT,
    "txid" TEXT,
    "feeSats" BIGINT,
    "commitment" TEXT,
    "custodyOutpoint" TEXT,
    "batchNumber" INTEGER,
    "feeRate" TEXT,
    "weight" INTEGER,
    "broadcastHeight" INTEGER,
    "blockHash" TEXT,
    "blockHeight" INTEGER,
    "confirmations" INTEGER NOT NULL DEFAULT 0,
    "replacedTxids" TEXT,
    "exported" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Settlement" ("commitment", "createdAt", "feeSats", "id", "inputs", "psbt", "rawTx", "reason", "status", "txid", "updatedAt") SELECT "commitment", "createdAt", "feeSats", "id", "inputs", "psbt", "rawTx", "reason", "status", "txid", "updatedAt" FROM "Settlement";
DROP TABLE "Settlement";
ALTER TABLE "new_Settlement" RENAME TO "Settlement";
CREATE UNIQUE INDEX "Settlement_custodyOutpoint_key" ON "Settlement"("custodyOutpoint");
CREATE INDEX "Settlement_status_idx" ON "Settlement"("status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

