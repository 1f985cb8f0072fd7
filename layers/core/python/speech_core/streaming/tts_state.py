"""A streaming TTS session's state and the rules that change it (pure: no I/O, no clock of its own).

It lives in the connection row's `tts_state` JSON, because each WebSocket message is one function invocation:
what one invocation received and did not synthesize yet is what the next one, or a concurrent one, finds.

- `text` messages are applied in `seq` order: a duplicate is ignored, one ahead of a gap is held (at most
  MAX_TTS_PENDING_TEXTS). Their text is split into sentences as they complete (`tts_sentences`), queued.
- One invocation at a time synthesizes (the *lease*, renewed per sentence): it takes the queue's head under
  the row lock, synthesizes it without the lock, and under the lock again sends it unless `clear` dropped it
  meanwhile. A lease that runs out (the invocation died) lets the next invocation take over, the sentence it
  held first: nothing taken is lost.
- `clear` drops what came from `text` messages up to its `seq`: queued sentences, the unfinished sentence,
  held texts, the sentence being synthesized (its audio is not sent), and such texts that arrive later.
- `stop` ends the text after `text` #lastSeq (default: the last one applied). Invocations may overtake each
  other, so a `stop` can come before its last texts: those are still taken, and the text is complete (its
  unfinished sentence queued) when every one up to lastSeq is applied; texts after it are refused.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from speech_core.contracts.streaming import MAX_TTS_PENDING_TEXTS, MAX_TTS_QUEUED_CHARS
from speech_core.errors import ErrorCode, RequestError
from speech_core.streaming.tts_sentences import MAX_SENTENCE_CHARS, split_complete

#: seconds a synthesizing invocation holds the session without renewing (one sentence takes far less)
LEASE_S = 30.0


class QueuedSentence(BaseModel):
    text: str
    #: the `text` message it came from (its last piece, for a sentence that spans messages)
    text_seq: int


class HeldText(BaseModel):
    text: str
    flush: bool


class TtsState(BaseModel):
    voice: str = "female"
    max_sentence_chars: int = MAX_SENTENCE_CHARS
    #: the next `text` seq to apply; `ack` is one less
    next_text_seq: int = 0
    held_texts: dict[int, HeldText] = Field(default_factory=dict)
    #: text after the last sentence boundary, and the seq of the message its last piece came from
    buffer: str = ""
    buffer_seq: int = -1
    queue: list[QueuedSentence] = Field(default_factory=list)
    #: the sentence a synthesizing invocation has taken, and until when (epoch seconds) it holds the lease
    in_flight: QueuedSentence | None = None
    lease_until: float | None = None
    lease_holder: str | None = None
    #: text from messages up to this seq is dropped (`clear`)
    cleared_through: int = -1
    next_audio_seq: int = 0
    #: stream seconds of audio sent, and sentences spoken (a pause goes before each one after the first)
    audio_seconds: float = 0.0
    sentences_spoken: int = 0
    characters: int = 0
    dropped_characters: int = 0
    stop_requested: bool = False
    #: the last `text` seq before `stop`: the stream ends once every text up to it is applied and spoken
    stop_after_seq: int = -1

    @property
    def ack(self) -> int:
        return self.next_text_seq - 1

    @property
    def queued_characters(self) -> int:
        return (
            len(self.buffer) + sum(len(s.text) for s in self.queue) + sum(len(h.text) for h in self.held_texts.values())
        )

    # --- text in ------------------------------------------------------------------------------------------
    def apply_text(self, seq: int, text: str, flush: bool) -> None:
        """Applies `text` #seq and every held one after it; a duplicate changes nothing."""
        if seq < self.next_text_seq or seq in self.held_texts:
            return
        if self.queued_characters + len(text) > MAX_TTS_QUEUED_CHARS:
            raise RequestError(
                ErrorCode.TEXT_TOO_LONG,
                f"more than {MAX_TTS_QUEUED_CHARS} characters wait for synthesis; send more after some audio",
                details={"maxQueuedChars": MAX_TTS_QUEUED_CHARS},
            )
        if seq > self.next_text_seq:
            if len(self.held_texts) >= MAX_TTS_PENDING_TEXTS:
                raise RequestError(
                    ErrorCode.STREAM_GAP,
                    f"text {self.next_text_seq} is missing ({len(self.held_texts)} texts wait behind it); resend it",
                    details={"missingSeq": self.next_text_seq},
                )
            self.held_texts[seq] = HeldText(text=text, flush=flush)
            return
        self._append(seq, text, flush)
        while self.next_text_seq in self.held_texts:
            held = self.held_texts.pop(self.next_text_seq)
            self._append(self.next_text_seq, held.text, held.flush)
        if self.stop_due:  # the last text before a `stop` that overtook it: the text is complete now
            self.flush()

    def accepts_text(self, seq: int) -> bool:
        """Whether `text` #seq still belongs to the stream: always before `stop`, up to its lastSeq after."""
        return not self.stop_requested or seq <= self.stop_after_seq

    # --- stop -----------------------------------------------------------------------------------------------
    def request_stop(self, last_seq: int | None) -> None:
        """`stop` after `text` #last_seq (None: after what was applied): complete now when nothing before it
        is missing, else when the missing texts arrive (`apply_text`)."""
        self.stop_requested = True
        self.stop_after_seq = self.ack if last_seq is None else max(last_seq, -1)
        if self.stop_due:
            self.flush()

    @property
    def stop_due(self) -> bool:
        """`stop` came and every text before it is applied: what is queued is all there is left to speak."""
        return self.stop_requested and self.ack >= self.stop_after_seq

    def flush(self) -> None:
        """The text so far is complete: its unfinished sentence is queued too."""
        self._split(flush=True)

    def _append(self, seq: int, text: str, flush: bool) -> None:
        self.next_text_seq = seq + 1
        if seq <= self.cleared_through:  # cleared before it arrived
            self.dropped_characters += len(text)
            return
        self.buffer += text
        self.buffer_seq = seq
        self._split(flush)

    def _split(self, flush: bool) -> None:
        split = split_complete(self.buffer, flush=flush, max_chars=self.max_sentence_chars)
        self.queue += [QueuedSentence(text=s, text_seq=self.buffer_seq) for s in split.sentences]
        self.buffer = split.rest

    # --- clear ----------------------------------------------------------------------------------------------
    def clear(self, through: int | None) -> int:
        """Drops text from messages up to `through` (default: all applied); the characters dropped now."""
        through = self.ack if through is None else through
        self.cleared_through = max(self.cleared_through, through)
        dropped = sum(len(s.text) for s in self.queue if s.text_seq <= self.cleared_through)
        self.queue = [s for s in self.queue if s.text_seq > self.cleared_through]
        if self.buffer and self.buffer_seq <= self.cleared_through:
            dropped += len(self.buffer.strip())
            self.buffer = ""
        for seq in [seq for seq in self.held_texts if seq <= self.cleared_through]:
            dropped += len(self.held_texts.pop(seq).text)
        if self.in_flight is not None and self.in_flight.text_seq <= self.cleared_through:
            dropped += len(self.in_flight.text)  # its audio will not be sent
        self.dropped_characters += dropped
        return dropped

    def is_cleared(self, sentence: QueuedSentence) -> bool:
        return sentence.text_seq <= self.cleared_through

    # --- synthesis ------------------------------------------------------------------------------------------
    def may_synthesize(self, holder: str, now: float) -> bool:
        """Whether `holder` (an invocation) may synthesize: the lease is its own, free, or ran out."""
        return self.lease_holder == holder or self.lease_until is None or self.lease_until < now

    def holds(self, holder: str, sentence: QueuedSentence) -> bool:
        """Whether `holder` still holds `sentence` (no other invocation took over after its lease ran out)."""
        return self.lease_holder == holder and self.in_flight == sentence

    def take_sentence(self, holder: str, now: float) -> QueuedSentence | None:
        """The next sentence for `holder` to synthesize, under a lease until now + LEASE_S; None: nothing to do
        (the lease is freed). A sentence a dead invocation held (its lease ran out) comes first, unless cleared."""
        if self.in_flight is not None and not self.is_cleared(self.in_flight):
            self.queue.insert(0, self.in_flight)
        self.in_flight = None
        if not self.queue:
            self.lease_until = self.lease_holder = None
            return None
        self.in_flight = self.queue.pop(0)
        self.lease_until, self.lease_holder = now + LEASE_S, holder
        return self.in_flight

    def put_back(self, sentence: QueuedSentence) -> None:
        """Synthesis failed: the sentence goes back to the head of the queue, the lease is freed."""
        if self.in_flight == sentence:
            self.in_flight = None
            if not self.is_cleared(sentence):
                self.queue.insert(0, sentence)
        self.lease_until = self.lease_holder = None

    def spoken(self, sentence: QueuedSentence, seconds: float, chunks: int) -> None:
        self.in_flight = None
        self.next_audio_seq += chunks
        self.audio_seconds += seconds
        self.sentences_spoken += 1
        self.characters += len(sentence.text)

    def drop_in_flight(self) -> None:
        """The sentence taken was cleared while it was synthesized: its audio is not sent."""
        self.in_flight = None
