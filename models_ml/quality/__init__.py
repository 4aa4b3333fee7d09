"""Voice quality maths: the ITU-T G.107 E-model (docs/quality.md)."""

from models_ml.quality.emodel import (
    CODECS,
    DEFAULT_RO,
    CodecImpairment,
    EModelTerms,
    codec_impairment,
    delay_impairment,
    effective_equipment_impairment,
    emodel,
    mos_from_r,
    one_way_delay_ms,
)

__all__ = [
    "CODECS",
    "DEFAULT_RO",
    "CodecImpairment",
    "EModelTerms",
    "codec_impairment",
    "delay_impairment",
    "effective_equipment_impairment",
    "emodel",
    "mos_from_r",
    "one_way_delay_ms",
]
