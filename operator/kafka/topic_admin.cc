#include "operator/kafka/topic_admin.h"

namespace herald::kafka {

std::ostream& operator<<(std::ostream& os, const KafkaError& e) { return os << e.code << ": " << e.message; }

std::string_view ToString(CreateStatus s) {
  switch (s) {
    case CreateStatus::kCreated:
      return "created";
    case CreateStatus::kAlreadyExists:
      return "already_exists";
    case CreateStatus::kError:
      return "error";
  }
  return "error";
}

std::ostream& operator<<(std::ostream& os, CreateStatus s) { return os << ToString(s); }

}  // namespace herald::kafka
