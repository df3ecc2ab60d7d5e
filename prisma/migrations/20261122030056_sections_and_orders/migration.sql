-- CreateEnum
CREATE TYPE "ProjectType" AS ENUM ('CONSTRUCTION', 'GOVERNMENT_PROCUREMENT', 'SOE_PROCUREMENT', 'OTHER');

-- CreateEnum
CREATE TYPE "SectionStatus" AS ENUM ('OPEN', 'SUSPENDED', 'CHANGED', 'FAILED', 'TERMINATED', 'OPENED');

-- CreateEnum
CREATE TYPE "SectionEventKind" AS ENUM ('SUSPENDED', 'RESUMED', 'CHANGED', 'FAILED', 'TERMINATED', 'OPENED');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('DRAFT', 'UNDER_REVIEW', 'AWAITING_PAYMENT', 'PAID', 'ISSUED', 'ABANDONED', 'EXPIRED', 'REJECTED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "PaymentOutcome" AS ENUM ('APPLIED', 'DUPLICATE', 'NON_BASIC_ACCOUNT');

-- CreateEnum
CREATE TYPE "PaymentProblemKind" AS ENUM ('PAID_NOT_ISSUED', 'DUPLICATE_PAYMENT_REFUND');

-- CreateTable
CREATE TABLE "BidSection" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "projectName" TEXT NOT NULL,
    "projectType" "ProjectType" NOT NULL,
    "tendereeId" UUID NOT NULL,
    "agentId" UUID,
    "depositAmount" DECIMAL(14,2) NOT NULL,
    "openingAt" TIMESTAMP(3) NOT NULL,
    "bidValidityDays" INTEGER NOT NULL,
    "status" "SectionStatus" NOT NULL DEFAULT 'OPEN',
    "version" INTEGER NOT NULL DEFAULT 1,
    "publishedById" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BidSection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SectionEvent" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "kind" "SectionEventKind" NOT NULL,
    "fromStatus" "SectionStatus" NOT NULL,
    "toStatus" "SectionStatus" NOT NULL,
    "note" TEXT,
    "newOpeningAt" TIMESTAMP(3),
    "actorUserId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SectionRegistration" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "sectionId" UUID NOT NULL,
    "enterpriseId" UUID NOT NULL,
    "contactName" TEXT NOT NULL,
    "contactMobile" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SectionRegistration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GuaranteeOrder" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "sectionId" UUID NOT NULL,
    "bidderId" UUID NOT NULL,
    "applicantId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "productId" UUID NOT NULL,
    "status" "OrderStatus" NOT NULL DEFAULT 'DRAFT',
    "version" INTEGER NOT NULL DEFAULT 1,
    "liveKey" TEXT,
    "projectType" "ProjectType" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "rate" DECIMAL(9,6) NOT NULL,
    "minimumPremium" DECIMAL(14,2) NOT NULL,
    "premium" DECIMAL(14,2) NOT NULL,
    "handlerName" TEXT NOT NULL,
    "handlerMobile" TEXT NOT NULL,
    "basicAccountName" TEXT NOT NULL,
    "basicAccountBank" TEXT NOT NULL,
    "basicAccountNumber" TEXT NOT NULL,
    "openingPermitId" UUID,
    "noticeVersion" TEXT,
    "noticeAcceptedAt" TIMESTAMP(3),
    "termsVersion" TEXT,
    "termsAcceptedAt" TIMESTAMP(3),
    "creditInfo" JSONB,
    "creditApprovedAt" TIMESTAMP(3),
    "agreementDigest" TEXT,
    "agreementSignature" TEXT,
    "agreementSignedAt" TIMESTAMP(3),
    "paymentReference" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "submittedAt" TIMESTAMP(3),
    "paidAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GuaranteeOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderEvent" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "fromStatus" "OrderStatus",
    "toStatus" "OrderStatus" NOT NULL,
    "label" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorUserId" UUID,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrderEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Payment" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "transactionId" TEXT NOT NULL,
    "payerAccountName" TEXT NOT NULL,
    "payerAccountNumber" TEXT NOT NULL,
    "payerBank" TEXT,
    "amount" DECIMAL(14,2) NOT NULL,
    "paidAt" TIMESTAMP(3) NOT NULL,
    "outcome" "PaymentOutcome" NOT NULL,
    "refundDue" DECIMAL(14,2),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StoredFile" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "ownerUserId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StoredFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DomainEvent" (
    "sequence" BIGSERIAL NOT NULL,
    "tenantId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "aggregateType" TEXT NOT NULL,
    "aggregateId" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publishedAt" TIMESTAMP(3),

    CONSTRAINT "DomainEvent_pkey" PRIMARY KEY ("sequence")
);

-- CreateTable
CREATE TABLE "PaymentProblem" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "kind" "PaymentProblemKind" NOT NULL,
    "description" TEXT NOT NULL,
    "answer" TEXT,
    "answeredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentProblem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "BidSection_tenantId_status_openingAt_idx" ON "BidSection"("tenantId", "status", "openingAt");

-- CreateIndex
CREATE UNIQUE INDEX "BidSection_tenantId_code_key" ON "BidSection"("tenantId", "code");

-- CreateIndex
CREATE INDEX "SectionEvent_sectionId_createdAt_idx" ON "SectionEvent"("sectionId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "SectionRegistration_sectionId_enterpriseId_key" ON "SectionRegistration"("sectionId", "enterpriseId");

-- CreateIndex
CREATE UNIQUE INDEX "GuaranteeOrder_number_key" ON "GuaranteeOrder"("number");

-- CreateIndex
CREATE UNIQUE INDEX "GuaranteeOrder_liveKey_key" ON "GuaranteeOrder"("liveKey");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_status_createdAt_idx" ON "GuaranteeOrder"("tenantId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_bidderId_createdAt_idx" ON "GuaranteeOrder"("tenantId", "bidderId", "createdAt");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_institutionId_createdAt_idx" ON "GuaranteeOrder"("tenantId", "institutionId", "createdAt");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_status_expiresAt_idx" ON "GuaranteeOrder"("status", "expiresAt");

-- CreateIndex
CREATE INDEX "OrderEvent_orderId_createdAt_idx" ON "OrderEvent"("orderId", "createdAt");

-- CreateIndex
CREATE INDEX "Payment_orderId_idx" ON "Payment"("orderId");

-- CreateIndex
CREATE UNIQUE INDEX "Payment_institutionId_transactionId_key" ON "Payment"("institutionId", "transactionId");

-- CreateIndex
CREATE INDEX "DomainEvent_publishedAt_sequence_idx" ON "DomainEvent"("publishedAt", "sequence");

-- CreateIndex
CREATE INDEX "DomainEvent_tenantId_sequence_idx" ON "DomainEvent"("tenantId", "sequence");

-- CreateIndex
CREATE INDEX "PaymentProblem_orderId_idx" ON "PaymentProblem"("orderId");

-- AddForeignKey
ALTER TABLE "BidSection" ADD CONSTRAINT "BidSection_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BidSection" ADD CONSTRAINT "BidSection_tendereeId_fkey" FOREIGN KEY ("tendereeId") REFERENCES "Enterprise"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BidSection" ADD CONSTRAINT "BidSection_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Enterprise"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionEvent" ADD CONSTRAINT "SectionEvent_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "BidSection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionRegistration" ADD CONSTRAINT "SectionRegistration_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "BidSection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SectionRegistration" ADD CONSTRAINT "SectionRegistration_enterpriseId_fkey" FOREIGN KEY ("enterpriseId") REFERENCES "Enterprise"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_sectionId_fkey" FOREIGN KEY ("sectionId") REFERENCES "BidSection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_bidderId_fkey" FOREIGN KEY ("bidderId") REFERENCES "Enterprise"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_applicantId_fkey" FOREIGN KEY ("applicantId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_institutionId_fkey" FOREIGN KEY ("institutionId") REFERENCES "Institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GuaranteeOrder" ADD CONSTRAINT "GuaranteeOrder_productId_fkey" FOREIGN KEY ("productId") REFERENCES "Product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderEvent" ADD CONSTRAINT "OrderEvent_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "GuaranteeOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Payment" ADD CONSTRAINT "Payment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "GuaranteeOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaymentProblem" ADD CONSTRAINT "PaymentProblem_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "GuaranteeOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
