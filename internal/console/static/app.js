// Quarry console
