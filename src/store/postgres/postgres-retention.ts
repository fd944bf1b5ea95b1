import type { Kysely } from 'kysely'
import { eventIdCeiling } from '../rows.js'
import type { Database } from '../schema.js'
import type { EventStore } from '../store.js'

/**
 * Retention's delete on PostgreSQL: one statement on the server, so the event loop only awaits it,
 * and the row locks it takes are on old rows no publish or claim touches. SQLite's needs more care
 * (see sqlite/sqlite-retention.ts).
 */
export function createPostgresRetention(k: Kysely<Database>): Pick<EventStore, 'pruneFinalEvents'> {
  return {
    async pruneFinalEvents(before, limit) {
      const r = await k
        .deleteFrom('events')
        .where('id', 'in', (qb) =>
          qb
            .selectFrom('events as e')
            .select('e.id')
            // Oldest first by id, a range of the primary key bounded by the cutoff (see
            // eventIdCeiling); created_at still decides, so no event is taken before its time.
            .where('e.id', '<', eventIdCeiling(before))
            .where('e.created_at', '<', before)
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('deliveries as d')
                    .select('d.id')
                    .whereRef('d.event_id', '=', 'e.id')
                    .where((w) => w.or([w('d.status', '=', 'pending'), w('d.updated_at', '>=', before)])),
                ),
              ),
            )
            .orderBy('e.id')
            .limit(limit),
        )
        .executeTakeFirst()
      return Number(r.numDeletedRows)
    },
  }
}
