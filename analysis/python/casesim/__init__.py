"""casesim — reading the results files of the casesim simulator.

    import casesim
    with casesim.open("out/illustrative.h5") as res:
        res.summary                          # pandas DataFrame of /summary
        res.array("baseline", "measures")    # xarray DataArray, axes labelled
        res.scenario, res.provenance         # the scenario text, where it came from

The figures and the HTML page: `python -m casesim.figures RESULTS.h5`.
The file format is documented in analysis/README.md of the casesim
repository.
"""

from .results import DamagedFile, NotResults, Results, open, strings_crc  # noqa: F401

__version__ = "0.1.0"
__all__ = ["open", "Results", "NotResults", "DamagedFile", "strings_crc"]
