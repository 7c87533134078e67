"""bitspin host library: transports, protocol client, reference models, physics, benchmarks, CLI."""
