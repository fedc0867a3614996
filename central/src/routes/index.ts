import type { FastifyInstance } from 'fastify';
import { healthRoutes } from './health/health-routes';
import { inventoryRoutes } from './inventory/inventory-routes';
import { movementsRoutes } from './movements/movements-routes';
import { availabilityRoutes } from './products/availability-routes';
import { storesRoutes } from './stores/stores-routes';
import { syncRoutes } from './sync/sync-routes';

/** Route stage: every HTTP resource of central (DESIGN §7). */
export async function routes(app: FastifyInstance): Promise<void> {
  await app.register(healthRoutes);
  await app.register(storesRoutes);
  await app.register(inventoryRoutes);
  await app.register(availabilityRoutes);
  await app.register(movementsRoutes);
  await app.register(syncRoutes);
}
