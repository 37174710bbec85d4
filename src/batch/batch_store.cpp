#include "batch/batch_store.h"

#include "store/vector_codec.h"

namespace ingestd {

void TurnFolder::Add(std::string_view state, std::string chunk_id, std::string_view vector_le,
                     int64_t tokens, std::string text_sha256) {
  if (state == "waiting" || state == "submitted") waiting_ = true;
  if (state == "failed") ++turn_.failed;
  if (state != "done") return;
  VectorRecord v;
  v.chunk_id = std::move(chunk_id);
  v.model = model_;
  v.values = DecodeFloat32Le(vector_le).value_or(std::vector<float>{});
  v.tokens = tokens;
  v.text_sha256 = std::move(text_sha256);
  if (v.values.empty()) {
    ++turn_.failed;  // unreadable: embedded again synchronously
  } else {
    turn_.vectors.push_back(std::move(v));
  }
}

BatchTurn TurnFolder::Finish() {
  turn_.state = waiting_ ? BatchTurn::State::kWaiting : BatchTurn::State::kSettled;
  if (waiting_) turn_.vectors.clear();
  return std::move(turn_);
}

}  // namespace ingestd
