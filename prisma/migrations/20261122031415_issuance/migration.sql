-- AlterTable
ALTER TABLE "Guarantee" ADD COLUMN     "bidderId" UUID,
ADD COLUMN     "letterDigest" TEXT,
ADD COLUMN     "letterSignature" TEXT,
ADD COLUMN     "orderId" UUID,
ADD COLUMN     "plainLetterId" UUID,
ADD COLUMN     "sealedLetterId" UUID,
ADD COLUMN     "sealingKeyId" UUID,
ADD COLUMN     "sectionId" UUID,
ADD COLUMN     "signerCertificatePem" TEXT,
ADD COLUMN     "unsealedAt" TIMESTAMP(3),
ADD COLUMN     "validFrom" TIMESTAMP(3),
ADD COLUMN     "validUntil" TIMESTAMP(3),
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "SealingKey" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "privateKeyEncrypted" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SealingKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InstitutionSigningKey" (
    "id" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "certificatePem" TEXT NOT NULL,
    "privateKeyEncrypted" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InstitutionSigningKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SealingKey_tenantId_version_key" ON "SealingKey"("tenantId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "InstitutionSigningKey_institutionId_key" ON "InstitutionSigningKey"("institutionId");

-- CreateIndex
CREATE UNIQUE INDEX "Guarantee_orderId_key" ON "Guarantee"("orderId");

-- CreateIndex
CREATE INDEX "Guarantee_sectionId_idx" ON "Guarantee"("sectionId");

-- AddForeignKey
ALTER TABLE "Guarantee" ADD CONSTRAINT "Guarantee_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "GuaranteeOrder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Guarantee" ADD CONSTRAINT "Guarantee_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "BidSection"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Guarantee" ADD CONSTRAINT "Guarantee_bidderId_fkey" FOREIGN KEY ("bidderId") REFERENCES "Enterprise"("id") ON DELETE SET NULL ON UPDATE CASCADE;
