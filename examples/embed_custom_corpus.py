"""Embed cnaps_rag in another program with a corpus of your own.

An app keeps its own model cards as `Source` objects (or JSON files), indexes them once into a
directory of its choosing, and answers its users' questions from that index alone.

    python examples/embed_custom_corpus.py
"""

import tempfile
from pathlib import Path

import cnaps_rag

CARDS = [
    cnaps_rag.Source(
        id="whisper", kind="model", name="Voice2Txt-Whisper-large",
        paper_url="https://arxiv.org/abs/2212.04356", github_url="https://github.com/openai/whisper",
        summary="Whisper transcribes speech with an encoder-decoder Transformer trained on 680,000 hours of "
                "multilingual audio; log-Mel spectrogram chunks enter the encoder and the decoder writes the text.",
        category="Voice2Txt",
    ),
    cnaps_rag.Source(
        id="tacotron2", kind="model", name="Txt2Voice-Tacotron2",
        paper_url="https://arxiv.org/abs/1712.05884", github_url="https://github.com/NVIDIA/tacotron2",
        summary="Tacotron 2 predicts a mel spectrogram from characters with an attention-based sequence-to-sequence "
                "network, and a WaveNet vocoder turns the spectrogram into audio.",
        category="Txt2Voice",
    ),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # Build once and save: a directory with the FAISS file and a JSON manifest.
        index = cnaps_rag.default_engine().build_index(CARDS)
        index.save(Path(tmp) / "speech-index")

        # Later, in the serving process: load (hash-checked) and answer.
        loaded = cnaps_rag.SourceIndex.load(Path(tmp) / "speech-index")
        for question in ("How does my phone turn a voice memo into text?", "What is a good sourdough recipe?"):
            answer = cnaps_rag.answer(question, index=loaded)
            status = ("abstained" if answer.abstained
                      else f"recommends {answer.references[0].source.name} ({answer.references[0].role})")
            print(f"{question}\n  -> {status}; verified: {cnaps_rag.verify(answer).ok}")

        # Or, without an index on disk: answer straight from the sources (indexed in memory).
        print(cnaps_rag.answer("Which model reads text aloud?", CARDS).to_text())


if __name__ == "__main__":
    main()
