DROP TABLE booking_items;
DROP TABLE bookings;
