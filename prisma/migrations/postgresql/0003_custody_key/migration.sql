-- CreateTable
CREATE TABLE "CustodyKey" (
    "id" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "publicInfo" TEXT NOT NULL,
    "scriptPubKey" TEXT NOT NULL,
    "descriptor" TEXT NOT NULL,
    "signerNames" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CustodyKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CustodyKey_scheme_active_idx" ON "CustodyKey"("scheme", "active");

