"""The 2D Lenz-Ising model: reference samplers, exact solutions and statistics."""
