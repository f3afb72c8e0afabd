-- CreateTable
CREATE TABLE "SignerIdentity" (
    "id" INTEGER NOT NULL,
    "publicKey" TEXT NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerIdentity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignerKey" (
    "id" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "publicInfo" TEXT NOT NULL,
    "sealedSecret" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignerCeremony" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SignerCeremony_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignerNonce" (
    "id" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "commitment" TEXT NOT NULL,
    "sealedNonces" TEXT,
    "status" TEXT NOT NULL,
    "sessionId" TEXT,
    "proposalId" TEXT,
    "messageHash" TEXT,
    "commitmentsHash" TEXT,
    "share" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "SignerNonce_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignerProposal" (
    "id" TEXT NOT NULL,
    "messageHash" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SignerProposal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SignerRequest" (
    "id" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SignerRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SignerIdentity_publicKey_key" ON "SignerIdentity"("publicKey");

-- CreateIndex
CREATE INDEX "SignerNonce_keyId_status_idx" ON "SignerNonce"("keyId", "status");

-- CreateIndex
CREATE INDEX "SignerRequest_expiresAt_idx" ON "SignerRequest"("expiresAt");

