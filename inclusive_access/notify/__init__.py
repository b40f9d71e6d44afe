"""GOV.UK Notify: the client wrapper, the sending worker, the status poll and their `flask notify` commands."""
