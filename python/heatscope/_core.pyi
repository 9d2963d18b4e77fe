"""heatscope's native module: the library's pipeline for the package around it."""

from os import PathLike
from typing import Optional, Union

import numpy as np
import numpy.typing as npt

def linkage(
    x: npt.NDArray[np.float32],
    method: str,
    metric: str,
    optimal_ordering: bool,
    approx: bool,
    memory_budget: Optional[int] = None,
) -> npt.NDArray[np.float64]: ...

class Figure:
    def __init__(
        self,
        options: str,
        data: Optional[npt.NDArray[np.float32]] = None,
        row_labels: Optional[list[str]] = None,
        col_labels: Optional[list[str]] = None,
        path: Optional[Union[str, PathLike[str]]] = None,
        cache_dir: Optional[Union[str, PathLike[str]]] = None,
    ) -> None: ...
    def row_linkage(self) -> Optional[npt.NDArray[np.float64]]: ...
    def col_linkage(self) -> Optional[npt.NDArray[np.float64]]: ...
    def row_order(self) -> list[int]: ...
    def col_order(self) -> list[int]: ...
    def row_clusters(self) -> Optional[list[int]]: ...
    def col_clusters(self) -> Optional[list[int]]: ...
    def data_address(self) -> int: ...
    def labels(self) -> tuple[list[str], list[str]]: ...
    def draw(self, format: str, width: int, height: int) -> tuple[bytes, str]: ...

def view(
    path: Union[str, PathLike[str]],
    options: str,
    cache_dir: Optional[Union[str, PathLike[str]]] = None,
    exit_after_frames: Optional[int] = None,
    screenshot: Optional[Union[str, PathLike[str]]] = None,
) -> None: ...
