"""Web Push: which events a member hears about (events), subscription checks, VAPID keys, the sender."""
