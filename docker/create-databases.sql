-- One database per service; each service reads and writes only its own.
CREATE DATABASE shop_orders;
CREATE DATABASE shop_inventory;
CREATE DATABASE shop_notifications;
CREATE DATABASE shop_accounts;
CREATE DATABASE shop_payments;
CREATE DATABASE shop_shipping;
