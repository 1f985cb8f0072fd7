"""The job state machine's two Maps: the inline Map over `$.prepared.chunks` for a short job, the Distributed Map
reading the items file from the audio bucket for a long one (issue 11: "Distributed Map when the manifest is
large"), chosen by `workflow.distributed_map_min_chunks`."""

from __future__ import annotations

import json
from typing import Any

from infra_cdk.capabilities.workflow import TOLERATE_EVERY_CHUNK
from tests.infra.conftest import SynthesizedStage


def definition(stage: SynthesizedStage) -> dict[str, Any]:
    """The state machine's ASL, with each CloudFormation token replaced by a placeholder string."""
    (machine,) = stage.props("AWS::StepFunctions::StateMachine").values()
    text = machine["DefinitionString"]
    if isinstance(text, dict):
        text = "".join(part if isinstance(part, str) else "TOKEN" for part in text["Fn::Join"][1])
    return dict(json.loads(text))


def test_prepare_chooses_the_inline_map_below_the_stages_threshold_and_the_distributed_one_above(
    stage: SynthesizedStage,
) -> None:
    states = definition(stage)["States"]
    assert states["Prepare"]["Next"] == "ChooseMap"
    choice = states["ChooseMap"]
    (rule,) = choice["Choices"]
    assert rule["Next"] == "TranscribeChunks" and choice["Default"] == "TranscribeChunksDistributed"
    present, below = rule["And"]
    assert present == {"Variable": "$.prepared.chunks", "IsPresent": True}
    threshold = stage.config.workflow.distributed_map_min_chunks
    assert below == {"Variable": "$.prepared.chunkCount", "NumericLessThan": threshold}
    # both Maps go on to Assemble, and a failure of either is recorded
    for name in ("TranscribeChunks", "TranscribeChunksDistributed"):
        assert states[name]["Next"] == "Assemble"
        assert states[name]["Catch"][0]["Next"] == "RecordFailed"


def test_the_distributed_map_reads_the_items_file_and_runs_standard_children_at_the_maps_concurrency(
    stage: SynthesizedStage,
) -> None:
    state = definition(stage)["States"]["TranscribeChunksDistributed"]
    reader = state["ItemReader"]
    assert reader["Resource"].endswith(":states:::s3:getObject")
    assert reader["ReaderConfig"] == {"InputType": "JSON"}
    assert reader["Parameters"]["Key.$"] == "$.prepared.itemsKey" and reader["Parameters"]["Bucket"] == "TOKEN"
    processor = state["ItemProcessor"]
    # a task token needs a standard workflow: an express child could not wait for the GPU worker's answer
    assert processor["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    (task,) = processor["States"].values()
    assert task["Resource"].endswith(":states:::sqs:sendMessage.waitForTaskToken")
    assert task["Parameters"]["MessageBody"]["step"] == "transcribe-chunk"
    assert {"ChunkFailed", "States.TaskFailed"} <= set(task["Retry"][0]["ErrorEquals"])
    assert state["MaxConcurrency"] == stage.config.workflow.map_max_concurrency
    assert state["ItemSelector"] == {"job.$": "$.job", "chunk.$": "$$.Map.Item.Value"}
    # a failed chunk fails its item, not the run: Assemble names it; nothing comes back into the 256 KB state
    assert state["ToleratedFailureCount"] == TOLERATE_EVERY_CHUNK and "ToleratedFailurePercentage" not in state
    assert state["ResultPath"] is None


def test_the_state_machine_may_read_only_the_audio_bucket_for_items_and_run_its_own_children(
    stage: SynthesizedStage,
) -> None:
    policies = json.dumps(stage.props("AWS::IAM::Policy"))
    assert '"states:StartExecution"' in policies
    audio = next(lid for lid in stage.resources("AWS::S3::Bucket") if lid.startswith("StorageAudioBucket"))
    role_statements = [
        statement
        for props in stage.props("AWS::IAM::Policy").values()
        for statement in props["PolicyDocument"]["Statement"]
        if "s3:GetObject" in json.dumps(statement["Action"]) and "Workflow" in json.dumps(props["Roles"])
    ]
    assert role_statements, "the state machine's role reads the items file"
    for statement in role_statements:
        assert audio in json.dumps(statement["Resource"])
