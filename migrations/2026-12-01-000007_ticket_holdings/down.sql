DROP TRIGGER ticket_holdings_booking_deleted ON bookings;
DROP TRIGGER ticket_holdings_status_changed ON bookings;
DROP TRIGGER ticket_holdings_items_added ON booking_items;
DROP FUNCTION ticket_holdings_booking_deleted();
DROP FUNCTION ticket_holdings_status_changed();
DROP FUNCTION ticket_holdings_move(uuid[], integer);
DROP FUNCTION ticket_holdings_items_added();
DROP TABLE ticket_holdings;
