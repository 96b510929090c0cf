/**
 * The customers' system of record (the article's MariaDB `demo.CUSTOMERS`), as the demo
 * generator writes to it. Changes made here reach the product only through CDC
 * (Debezium), like an application's changes in the article.
 */

/** A row of `CUSTOMERS` (the article's columns; timestamps are set by the database). */
export interface CustomerRow {
  readonly id: number;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly email: string | null;
  readonly gender: string | null;
  readonly club_status: string | null;
  readonly comments: string | null;
}

export interface CustomerDatabase {
  /**
   * Inserts the customers whose id the table does not hold (INSERT IGNORE); rows that
   * exist are left as they are, so changes made in the database survive a restart.
   */
  insertMissing(customers: readonly CustomerRow[]): Promise<void>;
  /** `UPDATE CUSTOMERS SET club_status = ? WHERE id = ?`; false if no such customer. */
  setClubStatus(id: number, clubStatus: string): Promise<boolean>;
  /** `DELETE FROM CUSTOMERS WHERE id = ?`; false if no such customer. */
  delete(id: number): Promise<boolean>;
  close(): Promise<void>;
}
