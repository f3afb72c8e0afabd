-- CreateTable
CREATE TABLE "SignerIdentity" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "publicKey" TEXT NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "scheme" TEXT NOT NULL,
    "publicInfo" TEXT NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerCeremony" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "ceremony" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sealedState" TEXT,
    "round1" TEXT,
    "packages" TEXT,
    "echo" TEXT,
    "echoes" TEXT,
    "round2" TEXT,
    "result" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SignerNonce" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "keyId" TEXT NOT NULL,
    "commitment" TEXT NOT NULL,
    "sealedNonces" TEXT,
    "status" TEXT NOT NULL,
    "sessionId" TEXT,
    "proposalId" TEXT,
    "messageHash" TEXT,
    "commitmentsHash" TEXT,
    "share" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usedAt" DATETIME
);

-- CreateTable
CREATE TABLE "SignerProposal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "messageHash" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "SignerRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "SignerIdentity_publicKey_key" ON "SignerIdentity"("publicKey");

-- CreateIndex
CREATE INDEX "SignerNonce_keyId_status_idx" ON "SignerNonce"("keyId", "status");

-- CreateIndex
CREATE INDEX "SignerRequest_expiresAt_idx" ON "SignerRequest"("expiresAt");

