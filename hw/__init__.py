"""bitspin gateware: Amaranth components for the Ising sampler, the B-DCGAN engine and the device top."""
