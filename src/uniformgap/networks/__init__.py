"""ReLU networks (dense and sparse), a CNN as a sparse ReLU network, and the project's JSON network format."""

from ._conv import cnn_to_sparse as cnn_to_sparse
from ._format import load_network as load_network
from ._format import network_from_dict as network_from_dict
from ._format import network_to_dict as network_to_dict
from ._format import save_network as save_network
from ._random import random_network as random_network
from ._relu import ReLUNetwork as ReLUNetwork
from ._sparse import SparseReLUNetwork as SparseReLUNetwork
from ._stacked import StackedReLU as StackedReLU

__all__ = ["ReLUNetwork", "SparseReLUNetwork", "random_network", "load_network", "network_from_dict", "network_to_dict", "save_network", "StackedReLU", "cnn_to_sparse"]
