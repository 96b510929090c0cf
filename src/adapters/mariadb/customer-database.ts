/**
 * {@link CustomerDatabase} on MariaDB or MySQL (`mysql2`): the article's `CUSTOMERS`
 * table, reached with a URL such as `mysql://user:password@127.0.0.1:3306/demo`. A small
 * pool; every statement is parameterized.
 */
import { createPool, type Pool, type ResultSetHeader } from 'mysql2/promise';
import type { CustomerDatabase, CustomerRow } from '../../ports/customer-database.js';

export function createMariaDbCustomerDatabase(url: string, table = 'CUSTOMERS'): CustomerDatabase {
  const pool: Pool = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), connectionLimit: 2, timezone: 'Z' });
  const affected = (result: unknown): number => (result as ResultSetHeader).affectedRows;
  return {
    async insertMissing(customers: readonly CustomerRow[]) {
      if (customers.length === 0) return;
      const rows = customers.map((c) => [c.id, c.first_name, c.last_name, c.email, c.gender, c.club_status, c.comments]);
      await pool.query(`INSERT IGNORE INTO \`${table}\` (id, first_name, last_name, email, gender, club_status, comments) VALUES ?`, [rows]);
    },
    async setClubStatus(id: number, clubStatus: string) {
      const [result] = await pool.execute(`UPDATE \`${table}\` SET club_status = ? WHERE id = ?`, [clubStatus, id]);
      return affected(result) > 0;
    },
    async delete(id: number) {
      const [result] = await pool.execute(`DELETE FROM \`${table}\` WHERE id = ?`, [id]);
      return affected(result) > 0;
    },
    async close() {
      await pool.end();
    },
  };
}
