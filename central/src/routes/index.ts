import type { FastifyInstance } from 'fastify';
import { dashboardRoutes } from '../dashboard/dashboard-routes';
import { alertsRoutes } from './alerts/alerts-routes';
import { alertsStreamRoutes } from './alerts/alerts-stream-routes';
import { discrepancyRoutes } from './discrepancies/discrepancy-routes';
import { healthRoutes } from './health/health-routes';
import { inventoryRoutes } from './inventory/inventory-routes';
import { movementsRoutes } from './movements/movements-routes';
import { availabilityRoutes } from './products/availability-routes';
import { catalogRoutes } from './products/catalog-routes';
import { reservationsRoutes } from './reservations/reservations-routes';
import { minStockRoutes } from './stores/min-stock-routes';
import { storeEventsRoutes } from './stores/store-events-routes';
import { storesRoutes } from './stores/stores-routes';
import { syncRoutes } from './sync/sync-routes';
import { transferRoutes } from './transfers/transfer-routes';

/** Route stage: every HTTP resource of central (DESIGN §7). */
export async function routes(app: FastifyInstance): Promise<void> {
  await app.register(healthRoutes);
  await app.register(dashboardRoutes);
  await app.register(storesRoutes);
  await app.register(storeEventsRoutes);
  await app.register(inventoryRoutes);
  await app.register(availabilityRoutes);
  await app.register(catalogRoutes);
  await app.register(minStockRoutes);
  await app.register(movementsRoutes);
  await app.register(syncRoutes);
  await app.register(reservationsRoutes);
  await app.register(alertsRoutes);
  await app.register(alertsStreamRoutes);
  await app.register(transferRoutes);
  await app.register(discrepancyRoutes);
}
