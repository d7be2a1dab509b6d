"""Base classes of the generated wrappers (opnp_spark/ml.py): the Java object made after the jar is
checked, defaults taken from Java, readers that check the jar before PySpark's do."""

from pyspark import SparkContext
from pyspark.ml.evaluation import JavaEvaluator
from pyspark.ml.util import JavaMLReader
from pyspark.ml.wrapper import JavaEstimator, JavaModel

from opnp_spark import _jvm


def _active():
    return SparkContext._active_spark_context


class _OpnpJava:
    """Shared by the stages: creates the Java stage (named by `_java_class`) with its defaults."""

    _java_class = None

    def _create_java_stage(self):
        _jvm.check(_active())
        self._java_obj = self._new_java_obj(self._java_class, self.uid)
        self._defaults_from_java()

    def _defaults_from_java(self):
        """Java's defaults (the command line's) become Python's, so getOrDefault answers without a round trip."""
        from pyspark.ml.common import _java2py

        sc = _active()
        for param in self.params:
            if self._java_obj.hasParam(param.name):
                java_param = self._java_obj.getParam(param.name)
                if self._java_obj.hasDefault(java_param):
                    value = self._java_obj.getDefault(java_param).get()
                    if param.typeConverter.__name__.startswith("toList"):
                        value = [_java2py(sc, x) for x in list(value)]
                    else:
                        value = _java2py(sc, value)
                    self._setDefault(**{param.name: value})

    @classmethod
    def read(cls):
        """A reader of saved stages of this class (checks the jar first)."""
        _jvm.check(_active())
        return JavaMLReader(cls)


class _OpnpEstimator(_OpnpJava, JavaEstimator):
    def __init__(self):
        super().__init__()
        self._create_java_stage()


class _OpnpModel(_OpnpJava, JavaModel):
    def __init__(self, java_model=None):
        super().__init__(java_model)
        if java_model is not None:
            self._defaults_from_java()
            self._transfer_params_from_java()


class _OpnpEvaluator(_OpnpJava, JavaEvaluator):
    def __init__(self):
        super().__init__()
        self._create_java_stage()

    def evaluateBySet(self, dataset):
        """Every metric per OOD set (the values of `setCol`), each against all ID rows: {set: {metric: value}}."""
        self._transfer_params_to_java()
        table = self._java_obj.evaluateBySet(dataset._jdf)
        return {str(s): {str(m): float(v) for m, v in row.items()} for s, row in table.items()}
