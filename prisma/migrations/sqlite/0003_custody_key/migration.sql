-- CreateTable
CREATE TABLE "CustodyKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "scheme" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "publicInfo" TEXT NOT NULL,
    "scriptPubKey" TEXT NOT NULL,
    "descriptor" TEXT NOT NULL,
    "signerNames" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "CustodyKey_scheme_active_idx" ON "CustodyKey"("scheme", "active");

