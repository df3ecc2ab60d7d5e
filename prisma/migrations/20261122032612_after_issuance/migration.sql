-- CreateEnum
CREATE TYPE "RefundReason" AS ENUM ('WITHDRAWN', 'SUSPENDED', 'FAILED', 'TERMINATED', 'OTHER');

-- CreateEnum
CREATE TYPE "RefundStatus" AS ENUM ('AWAITING_ACCOUNT', 'SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'PAID_OUT', 'REJECTED');

-- CreateEnum
CREATE TYPE "DecisionStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED');

-- CreateEnum
CREATE TYPE "ClaimStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED');

-- CreateEnum
CREATE TYPE "InvoiceForm" AS ENUM ('ELECTRONIC', 'PAPER');

-- CreateEnum
CREATE TYPE "InvoiceKind" AS ENUM ('ORDINARY', 'SPECIAL');

-- CreateEnum
CREATE TYPE "InvoiceStatus" AS ENUM ('PROCESSING', 'ISSUED');

-- CreateTable
CREATE TABLE "Refund" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "bidderId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "reason" "RefundReason" NOT NULL,
    "explanation" TEXT NOT NULL,
    "ruleCode" TEXT NOT NULL,
    "status" "RefundStatus" NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "amount" DECIMAL(14,2) NOT NULL,
    "accountName" TEXT,
    "accountNumber" TEXT,
    "accountBank" TEXT,
    "accountMobile" TEXT,
    "accountConfirmedAt" TIMESTAMP(3),
    "accountCodeHash" TEXT,
    "accountCodeExpires" TIMESTAMP(3),
    "accountCodeTries" INTEGER NOT NULL DEFAULT 0,
    "refundNumber" TEXT,
    "decisionReason" TEXT,
    "decidedAt" TIMESTAMP(3),
    "paidOutAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RefundEvent" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "refundId" UUID NOT NULL,
    "fromStatus" "RefundStatus",
    "toStatus" "RefundStatus" NOT NULL,
    "label" TEXT NOT NULL,
    "actorType" TEXT NOT NULL,
    "actorUserId" UUID,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RefundEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Extension" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "previousValidUntil" TIMESTAMP(3) NOT NULL,
    "requestedValidUntil" TIMESTAMP(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "DecisionStatus" NOT NULL DEFAULT 'PENDING',
    "decisionReason" TEXT,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Extension_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Cancellation" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "proofFileId" UUID NOT NULL,
    "status" "DecisionStatus" NOT NULL DEFAULT 'PENDING',
    "decisionReason" TEXT,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Cancellation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Claim" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "claimantId" UUID NOT NULL,
    "claimantRole" TEXT NOT NULL,
    "filedByUserId" UUID NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "approvedAmount" DECIMAL(14,2),
    "payeeAccountName" TEXT NOT NULL,
    "payeeAccountNumber" TEXT NOT NULL,
    "payeeBank" TEXT NOT NULL,
    "contactName" TEXT NOT NULL,
    "contactPhone" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "proofFileId" UUID NOT NULL,
    "status" "ClaimStatus" NOT NULL DEFAULT 'DRAFT',
    "version" INTEGER NOT NULL DEFAULT 1,
    "submittedAt" TIMESTAMP(3),
    "decisionReason" TEXT,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Claim_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "bidderId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "form" "InvoiceForm" NOT NULL,
    "kind" "InvoiceKind" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "title" TEXT NOT NULL,
    "taxNumber" TEXT,
    "address" TEXT,
    "phone" TEXT,
    "bank" TEXT,
    "bankAccount" TEXT,
    "email" TEXT,
    "recipientName" TEXT,
    "recipientPhone" TEXT,
    "recipientAddress" TEXT,
    "status" "InvoiceStatus" NOT NULL DEFAULT 'PROCESSING',
    "fileId" UUID,
    "invoiceNumber" TEXT,
    "shippingCarrier" TEXT,
    "shippingNumber" TEXT,
    "issuedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Review" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "guaranteeId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "bidderId" UUID NOT NULL,
    "rating" INTEGER NOT NULL,
    "comment" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Review_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Refund_tenantId_status_idx" ON "Refund"("tenantId", "status");

-- CreateIndex
CREATE INDEX "Refund_guaranteeId_idx" ON "Refund"("guaranteeId");

-- CreateIndex
CREATE INDEX "RefundEvent_refundId_createdAt_idx" ON "RefundEvent"("refundId", "createdAt");

-- CreateIndex
CREATE INDEX "Extension_guaranteeId_idx" ON "Extension"("guaranteeId");

-- CreateIndex
CREATE INDEX "Cancellation_guaranteeId_idx" ON "Cancellation"("guaranteeId");

-- CreateIndex
CREATE INDEX "Claim_guaranteeId_idx" ON "Claim"("guaranteeId");

-- CreateIndex
CREATE INDEX "Claim_tenantId_status_idx" ON "Claim"("tenantId", "status");

-- CreateIndex
CREATE INDEX "Invoice_tenantId_bidderId_status_idx" ON "Invoice"("tenantId", "bidderId", "status");

-- CreateIndex
CREATE INDEX "Invoice_guaranteeId_idx" ON "Invoice"("guaranteeId");

-- CreateIndex
CREATE UNIQUE INDEX "Review_guaranteeId_key" ON "Review"("guaranteeId");

-- CreateIndex
CREATE INDEX "Review_institutionId_idx" ON "Review"("institutionId");

-- AddForeignKey
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RefundEvent" ADD CONSTRAINT "RefundEvent_refundId_fkey" FOREIGN KEY ("refundId") REFERENCES "Refund"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Extension" ADD CONSTRAINT "Extension_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Cancellation" ADD CONSTRAINT "Cancellation_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Claim" ADD CONSTRAINT "Claim_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Review" ADD CONSTRAINT "Review_guaranteeId_fkey" FOREIGN KEY ("guaranteeId") REFERENCES "Guarantee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
