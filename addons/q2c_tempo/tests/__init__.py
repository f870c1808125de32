from . import test_tempo_pull
