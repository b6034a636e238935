DROP TABLE waiting_list;
DROP FUNCTION waiting_list_taken();
DROP FUNCTION waiting_list_changed();
DROP FUNCTION waiting_list_left();
DROP FUNCTION ticket_holdings_shift(uuid[], uuid[], integer[]);
ALTER TABLE bookings DROP COLUMN origin;
