"""Neural-network building blocks, each written from its paper's equations."""
