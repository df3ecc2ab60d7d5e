-- DropIndex
DROP INDEX "GuaranteeOrder_tenantId_bidderId_createdAt_idx";

-- DropIndex
DROP INDEX "GuaranteeOrder_tenantId_institutionId_createdAt_idx";

-- DropIndex
DROP INDEX "GuaranteeOrder_tenantId_status_createdAt_idx";

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_createdAt_id_idx" ON "GuaranteeOrder"("tenantId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_status_createdAt_id_idx" ON "GuaranteeOrder"("tenantId", "status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_bidderId_createdAt_id_idx" ON "GuaranteeOrder"("tenantId", "bidderId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GuaranteeOrder_tenantId_institutionId_createdAt_id_idx" ON "GuaranteeOrder"("tenantId", "institutionId", "createdAt", "id");
