"""The model registry: which Triton model and version serves which task and language.

The registry is data shipped with this package, one file per deployment flavour in `registries/` (`local`:
the CPU engines of triton_cluster/model_repository; `production`: the GPU models), picked by the
`MODEL_REGISTRY` setting that the CDK stage config writes. This module validates it into pydantic models
and answers `select()`: the service for a task and language (or language pair, or voice), and the model
version to call. A service may split traffic between two versions by
weight (A/B); the chosen version is returned in the `ModelSelection` so the caller records it per request.
Each service may also answer to `aliases`: the serviceIds of Dhruva's and Bhashini's catalogues
(`ai4bharat/whisper-medium-en--gpu--t4`, ...), so a ULCA client's `config.serviceId` selects the model serving
that task here. A known serviceId (own or alias) that serves the request selects its service; an unknown one,
or one that does not serve the requested language, falls back to routing by language.
A request the registry cannot serve is the caller's mistake: `LanguageError` with LANGUAGE_UNSUPPORTED,
LANGUAGE_PAIR_UNSUPPORTED or VOICE_UNSUPPORTED and the supported values in `details`.
"""

from __future__ import annotations

import hashlib
import random
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from speech_core.errors import ErrorCode, InferenceError, LanguageError


class Task(StrEnum):
    ASR = "asr"
    ASR_STREAMING = "asr_streaming"
    TTS = "tts"
    TRANSLATION = "translation"
    TRANSLITERATION = "transliteration"
    LANGUAGE_ID = "language_id"
    VAD = "vad"
    #: inverse text normalization of ASR output (spoken -> written: "twenty five" -> "25"), `postProcessors: ["itn"]`
    ITN = "itn"
    #: text normalization before TTS (written -> spoken: "₹250" -> "two hundred and fifty rupees")
    TEXT_NORMALIZATION = "text_normalization"


#: tasks whose requests name a language pair rather than one language
PAIR_TASKS = frozenset({Task.TRANSLATION, Task.TRANSLITERATION})
#: tasks that take no language at all
LANGUAGE_FREE_TASKS = frozenset({Task.LANGUAGE_ID, Task.VAD})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LanguagePair(_Frozen):
    source: str
    target: str


class WeightedVersion(_Frozen):
    """One model version and its share of traffic (weights are relative; 0 = never chosen)."""

    version: str
    weight: int = Field(default=1, ge=0)


class ServiceLimits(_Frozen):
    """Input limits a service accepts; None = no limit of that kind."""

    max_audio_seconds: float | None = Field(default=None, gt=0)
    max_text_chars: int | None = Field(default=None, gt=0)
    max_batch_items: int | None = Field(default=None, gt=0)


class ModelService(_Frozen):
    """A deployed model answering one task for some languages."""

    service_id: str
    task: Task
    model: str = Field(description="Triton model name")
    versions: list[WeightedVersion] = Field(min_length=1, max_length=2)
    languages: list[str] = Field(default_factory=list)
    language_pairs: list[LanguagePair] = Field(default_factory=list)
    #: any ordered pair of two different languages of this list (transliteration between scripts)
    pairs_among: list[str] = Field(default_factory=list)
    voices: list[str] = Field(default_factory=list)
    #: other serviceIds this service answers to (Dhruva's and Bhashini's catalogue names)
    aliases: list[str] = Field(default_factory=list)
    limits: ServiceLimits = ServiceLimits()
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if sum(v.weight for v in self.versions) == 0:
            raise ValueError(f"{self.service_id}: at least one version needs a positive weight")
        if len({v.version for v in self.versions}) != len(self.versions):
            raise ValueError(f"{self.service_id}: versions must differ")
        if self.task in PAIR_TASKS and not (self.language_pairs or self.pairs_among):
            raise ValueError(f"{self.service_id}: a {self.task} service needs language_pairs or pairs_among")
        if self.task not in PAIR_TASKS | LANGUAGE_FREE_TASKS and not self.languages:
            raise ValueError(f"{self.service_id}: a {self.task} service needs languages")
        if self.task == Task.TTS and not self.voices:
            raise ValueError(f"{self.service_id}: a tts service needs voices")
        return self

    def serves_pair(self, source: str, target: str) -> bool:
        if LanguagePair(source=source, target=target) in self.language_pairs:
            return True
        return source != target and source in self.pairs_among and target in self.pairs_among

    def all_pairs(self) -> list[str]:
        pairs = {f"{p.source}-{p.target}" for p in self.language_pairs}
        pairs |= {f"{a}-{b}" for a in self.pairs_among for b in self.pairs_among if a != b}
        return sorted(pairs)

    def choose_version(self, key: str | None = None, rng: random.Random | None = None) -> str:
        """Pick a version by weight: stable per `key` (e.g. tenant id) when given, else at random."""
        if len(self.versions) == 1:
            return self.versions[0].version
        total = sum(v.weight for v in self.versions)
        if key is not None:
            # sha256, not hash(): the same tenant lands in the same arm on every warm or cold instance
            point = int.from_bytes(hashlib.sha256(f"{self.service_id}:{key}".encode()).digest()[:8]) % total
        else:
            point = (rng or _RNG).randrange(total)
        for candidate in self.versions:
            if point < candidate.weight:
                return candidate.version
            point -= candidate.weight
        raise AssertionError("unreachable: point < total weight")


_RNG = random.SystemRandom()


class ModelSelection(_Frozen):
    """What to call for one request, and what to record about it."""

    service_id: str
    task: Task
    model: str
    version: str
    limits: ServiceLimits


class ModelRegistry(_Frozen):
    """All services; the first service listed for a task and language wins."""

    schema_version: int = 1
    services: list[ModelService]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        ids = [s.service_id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("service_id values must be unique")
        names = ids + [alias for s in self.services for alias in s.aliases]
        if len(set(names)) != len(names):
            raise ValueError("aliases must be unique and differ from every service_id")
        return self

    def service_named(self, service_id: str) -> ModelService | None:
        """The service whose `service_id` or one of whose `aliases` is `service_id`; None when unknown."""
        for service in self.services:
            if service.service_id == service_id or service_id in service.aliases:
                return service
        return None

    def services_for(self, task: Task | str) -> list[ModelService]:
        return [s for s in self.services if s.task == Task(task)]

    def supported_languages(self, task: Task | str) -> list[str]:
        return sorted({lang for s in self.services_for(task) for lang in s.languages})

    def supported_pairs(self, task: Task | str) -> list[str]:
        return sorted({pair for s in self.services_for(task) for pair in s.all_pairs()})

    def select(
        self,
        task: Task | str,
        *,
        language: str | None = None,
        source: str | None = None,
        target: str | None = None,
        voice: str | None = None,
        key: str | None = None,
        rng: random.Random | None = None,
        service_id: str | None = None,
    ) -> ModelSelection:
        """The service and version for this request, or a `LanguageError` naming what is supported.

        `service_id` (the request's `config.serviceId`) picks its service when it names one (or an alias) of this
        task that serves the request; otherwise the first service serving the language is chosen."""
        task = Task(task)
        candidates = self.services_for(task)
        if not candidates:
            raise InferenceError(
                ErrorCode.MODEL_UNAVAILABLE,
                f"no model is registered for task {task.value}",
                details={"task": task.value},
            )
        if task in PAIR_TASKS:
            if source is None or target is None:
                raise TypeError(f"{task.value} needs source and target")
            matching = [s for s in candidates if s.serves_pair(source, target)]
            if not matching:
                raise LanguageError(
                    ErrorCode.LANGUAGE_PAIR_UNSUPPORTED,
                    f"{task.value} from {source!r} to {target!r} is not supported",
                    details={"task": task.value, "supportedPairs": self.supported_pairs(task)},
                )
        elif task in LANGUAGE_FREE_TASKS:
            matching = candidates
        else:
            if language is None:
                raise TypeError(f"{task.value} needs a language")
            matching = [s for s in candidates if language in s.languages]
            if not matching:
                raise LanguageError(
                    ErrorCode.LANGUAGE_UNSUPPORTED,
                    f"{task.value} is not available for language {language!r}",
                    details={"task": task.value, "supportedLanguages": self.supported_languages(task)},
                )
        if voice is not None:
            voiced = [s for s in matching if voice in s.voices]
            if not voiced:
                raise LanguageError(
                    ErrorCode.VOICE_UNSUPPORTED,
                    f"voice {voice!r} is not available for {task.value} in {language!r}",
                    details={"supportedVoices": sorted({v for s in matching for v in s.voices})},
                )
            matching = voiced
        named = self.service_named(service_id) if service_id else None
        service = named if named is not None and named in matching else matching[0]
        return ModelSelection(
            service_id=service.service_id,
            task=task,
            model=service.model,
            version=service.choose_version(key, rng),
            limits=service.limits,
        )


def parse_registry(data: object) -> ModelRegistry:
    """Validate already-loaded registry data (a mapping); a bad registry is a deploy-time error."""
    try:
        return ModelRegistry.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"invalid model registry: {exc}") from exc


def load_registry(path: Path | str) -> ModelRegistry:
    """Read and validate a registry YAML (or JSON, a subset of YAML) file."""
    import yaml  # cold start: the registry is read at the first call (or before a SnapStart snapshot)

    with open(path, encoding="utf-8") as handle:
        return parse_registry(yaml.safe_load(handle))


REGISTRIES_DIR = Path(__file__).parent / "registries"


def packaged_registry_names() -> list[str]:
    return sorted(path.stem for path in REGISTRIES_DIR.glob("*.yaml"))


@lru_cache(maxsize=4)
def load_packaged_registry(name: str) -> ModelRegistry:
    """One of the registries shipped in `registries/` by name (`local`, `production`), cached per process."""
    path = REGISTRIES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"no packaged model registry {name!r}; have {packaged_registry_names()}")
    return load_registry(path)
