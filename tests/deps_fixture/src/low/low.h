#pragma once
#include "high/high.h"  // the back-edge the check must report
